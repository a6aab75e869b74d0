import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { parseAppConfig } from '../../../src/config/appConfig.js';
import { openRequest } from '../../../src/client/connection.js';
import { receiveStream } from '../../../src/client/forms/copyFrom.js';
import { computeMac, formatClientHello, parseServerHello, type Transcript } from '../../../src/auth/wire.js';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { runServer } from '../../../src/server/index.js';
import { LEGACY_VERSION, V2_VERSION, header, makeServerEnv, type ServerEnv } from '../server/harness.js';

// The v2 HMAC handshake, both sides: our client against runServer on a loopback socket, and a
// hand-driven client over a pair of streams for what an attacker would send.

const SECRET = 'a'.repeat(20) + '0123456789abcdef0123456789abcdef';

async function secretFile(env: ServerEnv, name: string, text: string, mode = 0o600): Promise<string> {
  const path = join(env.root, name);
  await writeFile(path, `${text}\n`);
  await chmod(path, mode);
  return path;
}

let serial = 0;
function depsFor(env: ServerEnv, config = env.config) {
  const logFile = join(env.root, `auth-${++serial}.log`);
  return {
    logFile,
    deps: {
      config,
      logger: createLogger({ file: logFile, level: 'debug' }),
      toolLog: createLogger({ file: join(env.root, 'tool.log') }),
      env: { PATH: process.env.PATH },
      peer: 'test',
      pluginPathFile: env.pluginPathFile,
    },
  };
}

/** runServer on a loopback port, one connection at a time; statuses and log as they come. */
async function listen(env: ServerEnv, config = env.config): Promise<{ server: Server; port: number; served: Promise<{ status: number; log: string }>[] }> {
  const served: Promise<{ status: number; log: string }>[] = [];
  const server = createServer({ allowHalfOpen: true }, (sock: Socket) => {
    sock.on('error', () => undefined);
    const { logFile, deps } = depsFor(env, config);
    served.push(
      runServer({ input: sock, output: sock }, deps).then(async (status) => {
        sock.end();
        await flushLogger(deps.logger);
        return { status, log: await readFile(logFile, 'utf8').catch(() => '') };
      }),
    );
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  return { server, port: (server.address() as { port: number }).port, served };
}

const clientSettings = parseAppConfig('[client]\nprotocol = auto\nconnect_timeout = 5\nidle_timeout = 20\n').client;
const quietLogger = () => createLogger({ file: '/dev/null', level: 'error' });

async function fetchWith(port: number, env: ServerEnv, secretPath: string): Promise<{ greeting: string; body: Buffer }> {
  const security = { auth: { secretFile: secretPath }, tls: { cert: '', key: '', ca: '', serverName: '' } };
  const remote = { host: '127.0.0.1', port, tmpdir: env.tmp, binpath: '/usr/bin' };
  const conv = await openRequest(remote, 'copy from', join(env.data, 'f.txt'), clientSettings, quietLogger(), { security });
  const parts: Buffer[] = [];
  for await (const part of conv.reader.rest()) parts.push(part);
  return { greeting: conv.greeting, body: Buffer.concat(parts) };
}

async function withAuthServer(fn: (env: ServerEnv, l: Awaited<ReturnType<typeof listen>>, clientSecret: string) => Promise<void>, extra = ''): Promise<void> {
  const env = await makeServerEnv();
  const serverSecret = await secretFile(env, 'server.secret', SECRET);
  const config = parseAppConfig(
    `[backup]\ntmp_dir = ${env.tmp}\n[state]\ndir = ${env.state}\n[server]\nallowed_roots = ${env.data}\n[auth]\nsecret_file = ${serverSecret}\n${extra}`,
  );
  await writeFile(join(env.data, 'f.txt'), 'payload\n');
  const l = await listen(env, config);
  try {
    await fn(env, l, await secretFile(env, 'client.secret', SECRET));
  } finally {
    l.server.close();
    await env.cleanup();
  }
}

test('both sides hold the secret: the request is served', () =>
  withAuthServer(async (env, l, clientSecret) => {
    const r = await fetchWith(l.port, env, clientSecret);
    assert.equal(r.greeting, 'tar');
    assert.ok(r.body.includes('payload'));
    const s = await l.served[0];
    assert.equal(s?.status, 0, s?.log);
    assert.match(s?.log ?? '', /action='copy from'.*outcome=OK/);
  }));

test('a client with another secret: the server fails to prove itself, nothing is served', () =>
  withAuthServer(async (env, l) => {
    const other = await secretFile(env, 'other.secret', 'b'.repeat(40));
    await assert.rejects(fetchWith(l.port, env, other), /did not prove it holds the shared secret/);
    const s = await l.served[0];
    assert.equal(s?.status, 1);
    assert.doesNotMatch(s?.log ?? '', /outcome=OK/);
  }));

test('a v2 client without [auth]: a clear ERROR, not a fallback', () =>
  withAuthServer(async (env, l) => {
    const remote = { host: '127.0.0.1', port: l.port, tmpdir: env.tmp, binpath: '/usr/bin' };
    await assert.rejects(openRequest(remote, 'copy from', join(env.data, 'f.txt'), clientSettings, quietLogger()), /requires hmac-sha256.*\[auth\] secret_file/);
    assert.equal(l.served.length, 1);
    assert.equal((await l.served[0])?.status, 1);
  }));

test('a client with [auth] against a server without it: told so', async () => {
  const env = await makeServerEnv();
  const l = await listen(env);
  try {
    await writeFile(join(env.data, 'f.txt'), 'payload\n');
    await assert.rejects(fetchWith(l.port, env, await secretFile(env, 'c.secret', SECRET)), /asks for hmac-sha256 but this server has no \[auth\] secret_file/);
  } finally {
    l.server.close();
    await env.cleanup();
  }
});

test('a client with [auth] against a server that hangs up (1.8b5): an error, never a 1.8b5 request', async () => {
  const env = await makeServerEnv();
  const seen: string[] = [];
  const server = createServer((sock) => {
    sock.once('data', (d) => {
      seen.push(d.toString());
      sock.destroy();
    });
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  try {
    await assert.rejects(fetchWith((server.address() as { port: number }).port, env, await secretFile(env, 'c.secret', SECRET)), /hung up on our authenticated hello/);
    assert.equal(seen.length, 2); // the hello, tried twice
    assert.ok(seen.every((s) => s.startsWith(`${V2_VERSION} HELLO`)), seen.join('|'));
  } finally {
    server.close();
    await env.cleanup();
  }
});

/** runServer over a pair of streams, driven by hand. */
function pairServer(env: ServerEnv, config: ServerEnv['config']) {
  const toServer = new PassThrough();
  const fromServer = new PassThrough();
  const { logFile, deps } = depsFor(env, config);
  const done = runServer({ input: toServer, output: fromServer }, deps).then(async (status) => {
    fromServer.end();
    await flushLogger(deps.logger);
    return { status, log: await readFile(logFile, 'utf8') };
  });
  return { toServer, reader: new StreamReader(fromServer), done };
}

async function authConfig(env: ServerEnv) {
  const path = await secretFile(env, 's.secret', SECRET);
  return parseAppConfig(`[backup]\ntmp_dir = ${env.tmp}\n[server]\nallowed_roots = ${env.data}\n[auth]\nsecret_file = ${path}\n`);
}

/** A client that follows the protocol up to the request, which `tamper` may change after the MAC. */
async function handDriven(env: ServerEnv, config: ServerEnv['config'], opts: { clientNonce?: Buffer; tamper?: (h: string) => string; secret?: string; version?: string } = {}) {
  const s = pairServer(env, config);
  const sent: string[] = [];
  const send = (text: string) => {
    sent.push(text);
    s.toServer.write(text);
  };
  send(formatClientHello(['hmac-sha256']));
  const hello = parseServerHello((await s.reader.readLine()) ?? '');
  assert.ok(hello);
  const t: Transcript = { serverNonce: hello.serverNonce, clientNonce: opts.clientNonce ?? Buffer.alloc(32, 7), features: ['hmac-sha256'], binding: Buffer.alloc(0) };
  send(`AUTH ${t.clientNonce.toString('hex')}\n`);
  const proof = await s.reader.readLine();
  assert.equal(proof, `AUTH ${computeMac(Buffer.from(SECRET), 'server', t).toString('hex')}`);
  const h = header(opts.version ?? V2_VERSION, 'copy from', join(env.data, 'f.txt'), env.tmp);
  const mac = computeMac(Buffer.from(opts.secret ?? SECRET), 'client', t, h).toString('hex');
  send(`${(opts.tamper ?? ((x) => x))(h)}MAC ${mac}\n`);
  const answer = await s.reader.readLine();
  s.toServer.end();
  for await (const _ of s.reader.rest());
  return { answer, ...(await s.done), transcript: sent };
}

test('by hand: the right MAC is served, a tampered header or a wrong secret is refused', async () => {
  const env = await makeServerEnv();
  try {
    await writeFile(join(env.data, 'f.txt'), 'payload\n');
    await writeFile(join(env.data, 'other.txt'), 'other\n');
    const config = await authConfig(env);
    const good = await handDriven(env, config);
    assert.equal(good.answer, 'OK tar');
    assert.equal(good.status, 0);
    const tampered = await handDriven(env, config, { tamper: (h) => h.replace('f.txt', 'other.txt') });
    assert.match(tampered.answer ?? '', /^ERROR authentication failed: the request MAC does not match/);
    assert.equal(tampered.status, 1);
    assert.match(tampered.log, /outcome=FAILED.*authentication failed/);
    const wrong = await handDriven(env, config, { secret: 'c'.repeat(40) });
    assert.match(wrong.answer ?? '', /^ERROR authentication failed/);
  } finally {
    await env.cleanup();
  }
});

test('by hand, 2.2: the MAC covers the encodings on the version line (a changed offer is refused)', async () => {
  const env = await makeServerEnv();
  try {
    await writeFile(join(env.data, 'f.txt'), 'payload\n');
    const config = await authConfig(env);
    const version = '2.2_zrm-innobackupex gzip:1';
    const good = await handDriven(env, config, { version });
    assert.equal(good.answer, 'OK tar compression=gzip:1');
    assert.equal(good.status, 0);
    const tampered = await handDriven(env, config, { version, tamper: (h) => h.replace('gzip:1', 'gzip:9') });
    assert.match(tampered.answer ?? '', /^ERROR authentication failed: the request MAC does not match/);
  } finally {
    await env.cleanup();
  }
});

test('a recorded transcript replayed to a new connection is refused (fresh server nonce)', async () => {
  const env = await makeServerEnv();
  try {
    await writeFile(join(env.data, 'f.txt'), 'payload\n');
    const config = await authConfig(env);
    const recorded = await handDriven(env, config);
    assert.equal(recorded.answer, 'OK tar');
    const s = pairServer(env, config);
    for (const part of recorded.transcript) s.toServer.write(part);
    s.toServer.end();
    const replies: string[] = [];
    for (let line = await s.reader.readLine(1 << 20); line !== null; line = await s.reader.readLine(1 << 20)) replies.push(line);
    const r = await s.done;
    assert.equal(r.status, 1);
    assert.ok(!replies.includes('OK tar'), replies.join('|'));
    assert.match(replies.at(-1) ?? '', /^ERROR authentication failed/);
  } finally {
    await env.cleanup();
  }
});

test('a 1.8b5 client is refused when auth is configured, and the log says why', async () => {
  const env = await makeServerEnv();
  try {
    await writeFile(join(env.data, 'f.txt'), 'payload\n');
    const s = pairServer(env, await authConfig(env));
    s.toServer.end(header(LEGACY_VERSION, 'copy from', join(env.data, 'f.txt'), env.tmp));
    const out: Buffer[] = [];
    for await (const p of s.reader.rest()) out.push(p);
    const r = await s.done;
    assert.equal(r.status, 1);
    assert.equal(Buffer.concat(out).length, 0);
    assert.match(r.log, /1\.8b5 client refused: this server requires hmac-sha256/);
  } finally {
    await env.cleanup();
  }
});

test('the secret file must be private, and long enough', async () => {
  const env = await makeServerEnv();
  try {
    await writeFile(join(env.data, 'f.txt'), 'payload\n');
    const l = await listen(env, await authConfig(env));
    try {
      await assert.rejects(fetchWith(l.port, env, await secretFile(env, 'open.secret', SECRET, 0o644)), /mode 644: it must be 600/);
      await assert.rejects(fetchWith(l.port, env, await secretFile(env, 'short.secret', 'tooshort')), /at least 16 are needed/);
    } finally {
      l.server.close();
    }
  } finally {
    await env.cleanup();
  }
});

test('a client that drips its first line (or stalls the hello) is cut off at the admission deadline', async () => {
  const env = await makeServerEnv();
  try {
    const toServer = new PassThrough();
    const fromServer = new PassThrough();
    const { logFile, deps } = depsFor(env, await authConfig(env));
    toServer.write(`${V2_VERSION} HE`); // and nothing more
    // The hello is under the request's header_timeout, like the rest of the request.
    const config = { ...deps.config, server: { ...deps.config.server, headerTimeout: 1 } };
    const status = await runServer({ input: toServer, output: fromServer }, { ...deps, config });
    await flushLogger(deps.logger);
    assert.equal(status, 1);
    assert.match(await readFile(logFile, 'utf8'), /outcome=FAILED failed: the request was not complete within header_timeout \(1s\)/);
  } finally {
    await env.cleanup();
  }
});

// Protocol 2.1 inside the authenticated hello: the MAC covers the 2.1 version line as sent, and a
// server that answers only 2.0 (max_v2_version) is asked again in 2.0 after a fresh hello.
for (const max of ['2.1', '2.0'] as const) {
  test(`authenticated 2.1 request, server max_v2_version = ${max}: served${max === '2.0' ? ' after a fresh 2.0 hello' : ''}`, () =>
    withAuthServer(async (env, l, clientSecret) => {
      const security = { auth: { secretFile: clientSecret }, tls: { cert: '', key: '', ca: '', serverName: '' } };
      const remote = { host: '127.0.0.1', port: l.port, tmpdir: env.tmp, binpath: '/usr/bin' };
      const conv = await openRequest(remote, 'copy from', join(env.data, 'f.txt'), clientSettings, quietLogger(), { security, v21: true });
      const parts: Buffer[] = [];
      for await (const part of conv.reader.rest()) parts.push(part);
      assert.equal(conv.greeting, 'tar');
      assert.ok(Buffer.concat(parts).includes('payload'));
      const last = await l.served[l.served.length - 1];
      assert.equal(last?.status, 0, last?.log);
      assert.match(last?.log ?? '', new RegExp(`version=${max}_zrm-innobackupex action='copy from'.*outcome=OK`));
      assert.equal(l.served.length, max === '2.0' ? 2 : 1);
    }, `[server]\nmax_v2_version = ${max}\n`));
}

// Protocol 2.2 inside the authenticated hello: the request's MAC covers the encodings on the
// version line; a server that answers at most 2.1 or 2.0 is stepped down to, a fresh hello each time.
for (const max of ['2.2', '2.1', '2.0'] as const) {
  test(`authenticated 2.2 request with gzip:1, server max_v2_version = ${max}: served${max === '2.2' ? ' compressed' : ` in ${max}, raw`}`, () =>
    withAuthServer(async (env, l, clientSecret) => {
      const security = { auth: { secretFile: clientSecret }, tls: { cert: '', key: '', ca: '', serverName: '' } };
      const remote = { host: '127.0.0.1', port: l.port, tmpdir: env.tmp, binpath: '/usr/bin' };
      const settings = { ...clientSettings, compression: [{ codec: 'gzip' as const, level: 1, token: 'gzip:1' }] };
      const conv = await openRequest(remote, 'copy from', join(env.data, 'f.txt'), settings, quietLogger(), { security, stepPauses: [] });
      const dest = join(env.root, `landed-${max}`);
      await mkdir(dest);
      await receiveStream(conv, dest);
      assert.equal(await readFile(join(dest, 'f.txt'), 'utf8'), await readFile(join(env.data, 'f.txt'), 'utf8'));
      assert.equal(conv.details.get('compression'), max === '2.2' ? 'gzip:1' : undefined);
      const last = await l.served[l.served.length - 1];
      assert.equal(last?.status, 0, last?.log);
      assert.match(last?.log ?? '', new RegExp(`version=${max}_zrm-innobackupex action='copy from'.*outcome=OK`));
      assert.equal(l.served.length, { '2.2': 1, '2.1': 2, '2.0': 3 }[max]);
    }, `[server]\nmax_v2_version = ${max}\n`));
}
