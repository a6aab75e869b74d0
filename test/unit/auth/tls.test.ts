import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { parseAppConfig, type AppConfig } from '../../../src/config/appConfig.js';
import { openRequest } from '../../../src/client/connection.js';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { runServer } from '../../../src/server/index.js';
import { makeServerEnv, type ServerEnv } from '../server/harness.js';
import { makeTestCa, type Issued } from '../../helpers/tlsCa.js';

// TLS inside v2 with certificates made by openssl: both sides verify, and nothing of the request
// or the data is readable on the wire.


interface Setup {
  env: ServerEnv;
  caPath: string;
  server: Issued;
  client: Issued;
  rogue: Issued;
  secret: string;
}

async function setup(): Promise<Setup> {
  const env = await makeServerEnv();
  const ca = await makeTestCa(join(env.root, 'ca'));
  const rogueCa = await makeTestCa(join(env.root, 'rogue'), 'rogue-ca');
  const secret = join(env.root, 'secret');
  await writeFile(secret, 'k'.repeat(64), { mode: 0o600 });
  await writeFile(join(env.data, 'f.txt'), 'backup-payload-in-clear\n');
  return { env, caPath: ca.ca, server: await ca.issue('db1', { usage: 'server' }), client: await ca.issue('bk1', { usage: 'client', san: 'DNS:bk1' }), rogue: await rogueCa.issue('evil'), secret };
}

function serverConfig(s: Setup, withSecret: boolean): AppConfig {
  return parseAppConfig(
    `[backup]\ntmp_dir = ${s.env.tmp}\n[server]\nallowed_roots = ${s.env.data}\n` +
      (withSecret ? `[auth]\nsecret_file = ${s.secret}\n` : '') +
      `[tls]\ncert = ${s.server.cert}\nkey = ${s.server.key}\nca = ${s.caPath}\n`,
  );
}

/** runServer behind a recording TCP proxy: what an eavesdropper on the path would see. */
async function listen(s: Setup, config: AppConfig) {
  const served: Promise<{ status: number; log: string }>[] = [];
  let n = 0;
  const open = new Set<Socket>();
  const track = (sock: Socket): void => {
    open.add(sock);
    sock.on('close', () => open.delete(sock));
  };
  const server = createServer({ allowHalfOpen: true }, (sock: Socket) => {
    track(sock);
    sock.on('error', () => undefined);
    const logFile = join(s.env.root, `tls-${++n}.log`);
    const logger = createLogger({ file: logFile, level: 'debug' });
    const deps = { config, logger, toolLog: createLogger({ file: join(s.env.root, 'tool.log') }), env: {}, peer: 'test' };
    const done = runServer({ input: sock, output: sock }, deps).then(async (status) => {
      sock.end();
      await flushLogger(logger);
      return { status, log: await readFile(logFile, 'utf8') };
    });
    // A test that does not look at this conversation still must not see it fail later, after
    // the temp dir is gone: close() waits for it, and this handler keeps it from being unhandled.
    done.catch(() => undefined);
    served.push(done);
  });
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', () => res()));
  const wire: Buffer[] = [];
  const proxy = createServer((c) => {
    const up = connect((server.address() as { port: number }).port, '127.0.0.1');
    track(c);
    track(up);
    c.on('data', (d: Buffer) => wire.push(d));
    up.on('data', (d: Buffer) => wire.push(d));
    c.pipe(up);
    up.pipe(c);
    c.on('error', () => up.destroy());
    up.on('error', () => c.destroy());
  });
  await new Promise<void>((res) => proxy.listen(0, '127.0.0.1', () => res()));
  return {
    port: (proxy.address() as { port: number }).port,
    served,
    wire: () => Buffer.concat(wire),
    /** Ends every conversation and waits for the server side to finish reading its log. */
    close: async () => {
      for (const sock of open) sock.destroy();
      proxy.close();
      server.close();
      await Promise.allSettled(served);
    },
  };
}

async function fetch(port: number, s: Setup, tls: { cert: string; key: string; ca: string; serverName?: string }, secret = '') {
  const config = parseAppConfig('[client]\nconnect_timeout = 5\nidle_timeout = 20\n');
  const security = { auth: { secretFile: secret }, tls: { serverName: '', ...tls } };
  const remote = { host: '127.0.0.1', port, tmpdir: s.env.tmp, binpath: '/usr/bin' };
  // The params line carries what a snapshot request would: ZRM's forwarded password.
  const conv = await openRequest(remote, 'copy from', join(s.env.data, 'f.txt'), config.client, createLogger({ file: '/dev/null', level: 'error' }), { security });
  const parts: Buffer[] = [];
  for await (const p of conv.reader.rest()) parts.push(p);
  conv.socket.destroy();
  return Buffer.concat(parts);
}

async function withSetup(fn: (s: Setup) => Promise<void>): Promise<void> {
  const s = await setup();
  try {
    await fn(s);
  } finally {
    await s.env.cleanup();
  }
}

test('TLS and the secret: served, and neither the request nor the data is readable on the wire', () =>
  withSetup(async (s) => {
    const l = await listen(s, serverConfig(s, true));
    try {
      const body = await fetch(l.port, s, { ...s.client, ca: s.caPath }, s.secret);
      assert.ok(body.includes('backup-payload-in-clear'));
      assert.equal((await l.served[0])?.status, 0);
      const wire = l.wire();
      assert.ok(wire.includes('HELLO'), 'the hello is in clear');
      for (const secretText of ['backup-payload-in-clear', 'f.txt', 'copy from', 'AUTH']) assert.ok(!wire.includes(secretText), `${secretText} seen on the wire`);
    } finally {
      await l.close();
    }
  }));

test('TLS alone (no secret): certificates on both sides suffice', () =>
  withSetup(async (s) => {
    const l = await listen(s, serverConfig(s, false));
    try {
      assert.ok((await fetch(l.port, s, { ...s.client, ca: s.caPath })).includes('backup-payload-in-clear'));
      assert.equal((await l.served[0])?.status, 0);
    } finally {
      await l.close();
    }
  }));

test('a client certificate from another CA is refused by the server', () =>
  withSetup(async (s) => {
    const l = await listen(s, serverConfig(s, false));
    try {
      await assert.rejects(fetch(l.port, s, { ...s.rogue, ca: s.caPath }));
      const r = await l.served[0];
      assert.equal(r?.status, 1);
      assert.match(r?.log ?? '', /refused before the request: TLS handshake failed/);
      assert.ok(!l.wire().includes('backup-payload-in-clear'));
    } finally {
      await l.close();
    }
  }));

test('the client refuses a server whose certificate does not carry the expected name, or another CA', () =>
  withSetup(async (s) => {
    const l = await listen(s, serverConfig(s, false));
    try {
      await assert.rejects(fetch(l.port, s, { ...s.client, ca: s.caPath, serverName: 'db2.example' }), /TLS handshake failed.*db2\.example/);
      const rogueCa = join(s.env.root, 'rogue', 'rogue-ca.crt');
      await assert.rejects(fetch(l.port, s, { ...s.client, ca: rogueCa }), /TLS handshake failed/);
      // The name in the certificate, asked for by name: accepted.
      assert.ok((await fetch(l.port, s, { ...s.client, ca: s.caPath, serverName: 'localhost' })).includes('backup-payload-in-clear'));
    } finally {
      await l.close();
    }
  }));

test('a server that requires TLS tells a client without it; a client with TLS is told when the server has none', () =>
  withSetup(async (s) => {
    const l = await listen(s, serverConfig(s, true));
    try {
      await assert.rejects(fetch(l.port, s, { cert: '', key: '', ca: '' }, s.secret), /this server requires tls/);
    } finally {
      await l.close();
    }
    const plain = await listen(s, parseAppConfig(`[backup]\ntmp_dir = ${s.env.tmp}\n[server]\nallowed_roots = ${s.env.data}\n`));
    try {
      await assert.rejects(fetch(plain.port, s, { ...s.client, ca: s.caPath }), /asks for tls but this server has no \[tls\]/);
    } finally {
      await plain.close();
    }
  }));
