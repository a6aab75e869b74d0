import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { installPlugins, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { makeTestCa, type TestCa } from '../helpers/tlsCa.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { runPlugin, writeZrmConf } from '../helpers/zrmRun.js';

// Who may connect, through a real xinetd on loopback: the server's own allowlist of client
// addresses is checked on the socket, whatever only_from says.

/** Sends `request` from `localAddress` and collects every byte until the server hangs up. */
function exchange(port: number, localAddress: string, request: string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port, localAddress }, () => s.write(request));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (err: NodeJS.ErrnoException) => (err.code === 'ECONNRESET' ? resolve(Buffer.concat(chunks)) : reject(err)));
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

async function logOnceItHas(file: string, re: RegExp): Promise<string> {
  let log = '';
  for (let i = 0; i < 50 && !re.test(log); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    log = await readFile(file, 'utf8').catch(() => '');
  }
  return log;
}

describe('allowed_clients', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let x: Xinetd;
  let serverLog: string;
  let request: string;

  before(async () => {
    tmp = await makeTempDir('zrm-who-');
    const plugins = await installPlugins(join(tmp.path, 'plugins'));
    const data = join(tmp.path, 'data');
    await mkdir(data);
    await writeFile(join(data, 'f.txt'), 'payload\n');
    const conf = join(tmp.path, 'innobackupex.conf');
    await writeAppConfig(conf, { dir: tmp.path, allowedRoots: tmp.path, extra: '[server]\nallowed_clients = 127.0.0.1/32\n' });
    serverLog = join(tmp.path, 'socket-server.log');
    x = await startXinetd(tmp.path, plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: conf } });
    request = `1.8b5_palomino\ncopy from\n${data}\n/tmp\n/usr/bin\n`;
  });

  after(async () => {
    await x?.stop();
    await tmp?.cleanup();
  });

  test('a client from 127.0.0.2 is hung up on before its request is read, and the log says why', async () => {
    const got = await exchange(x.port, '127.0.0.2', request);
    assert.equal(got.length, 0);
    const log = await logOnceItHas(serverLog, /refused connection from 127\.0\.0\.2/);
    assert.match(log, /refused connection from 127\.0\.0\.2: not in \[server\] allowed_clients \(127\.0\.0\.1\/32\)/);
    assert.doesNotMatch(log, /action='copy from'/);
  });

  test('the same request from 127.0.0.1 is served', async () => {
    // xinetd (instances = 1) hangs up while the refused server is still exiting: ask again.
    let got: Buffer = Buffer.alloc(0);
    for (let i = 0; i < 50 && got.length === 0; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 200));
      got = await exchange(x.port, '127.0.0.1', request);
    }
    assert.ok(got.length > 0);
    assert.match(await logOnceItHas(serverLog, /outcome=OK/), /peer=127\.0\.0\.1:\d+ .*action='copy from'.*outcome=OK/);
  });
});

describe('[auth] secret_file through xinetd and the real plugins', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let x: Xinetd;
  let plugins: Awaited<ReturnType<typeof installPlugins>>;
  let serverLog: string;
  let data: string;
  let zrmConf: string;

  /** The copy plugin fetching data/f.txt into a fresh directory, with `clientConf`. */
  async function copyWith(clientConf: string, name: string) {
    const dest = join(tmp.path, name);
    await mkdir(dest);
    const r = await runPlugin(plugins['socket-copy.palomino.pl'], ['--source-host', '127.0.0.1', '--source-file', join(data, 'f.txt'), '--destination-directory', dest], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ZRM_CONF: zrmConf,
      ZRM_INNOBACKUPEX_CONF: clientConf,
    });
    return { ...r, copied: await readFile(join(dest, 'f.txt'), 'utf8').catch(() => undefined) };
  }

  async function clientConf(name: string, extra: string, protocol = 'auto'): Promise<string> {
    const dir = join(tmp.path, name);
    await mkdir(dir);
    const path = join(dir, 'client.conf');
    await writeAppConfig(path, { dir, protocol, extra });
    return path;
  }

  async function secret(name: string, text: string): Promise<string> {
    const path = join(tmp.path, name);
    await writeFile(path, `${text}\n`, { mode: 0o600 });
    return path;
  }

  before(async () => {
    tmp = await makeTempDir('zrm-auth-');
    plugins = await installPlugins(join(tmp.path, 'plugins'));
    data = join(tmp.path, 'data');
    await mkdir(data);
    await writeFile(join(data, 'f.txt'), 'payload\n');
    const conf = join(tmp.path, 'innobackupex.conf');
    await writeAppConfig(conf, { dir: tmp.path, allowedRoots: tmp.path, extra: `[auth]\nsecret_file = ${await secret('server.secret', 'S'.repeat(64))}\n` });
    serverLog = join(tmp.path, 'socket-server.log');
    x = await startXinetd(tmp.path, plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: conf } });
    zrmConf = join(tmp.path, 'zrm.conf');
    await writeZrmConf(zrmConf, { user: 'u', password: 'p', 'socket-remote-port': String(x.port) });
  });

  after(async () => {
    await x?.stop();
    await tmp?.cleanup();
  });

  test('a client with the same secret copies the file', async () => {
    const r = await copyWith(await clientConf('good', `[auth]\nsecret_file = ${await secret('good.secret', 'S'.repeat(64))}\n`), 'good-dest');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.copied, 'payload\n');
  });

  test('a client without the secret gets a clear error and no file; the server logs why', async () => {
    const r = await copyWith(await clientConf('nosecret', ''), 'nosecret-dest');
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /requires hmac-sha256/);
    assert.equal(r.copied, undefined);
    assert.match(await logOnceItHas(serverLog, /requires hmac-sha256: set the same/), /outcome=FAILED.*requires hmac-sha256: set the same/);
  });

  test('a client with another secret is refused', async () => {
    const r = await copyWith(await clientConf('wrong', `[auth]\nsecret_file = ${await secret('wrong.secret', 'W'.repeat(64))}\n`), 'wrong-dest');
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /did not prove it holds the shared secret/);
    assert.equal(r.copied, undefined);
  });

  test('a 1.8b5 client (our plugin in legacy mode) is refused, and the log says why', async () => {
    const r = await copyWith(await clientConf('legacy', '', 'legacy'), 'legacy-dest');
    assert.notEqual(r.exitCode, 0);
    assert.equal(r.copied, undefined);
    assert.match(await logOnceItHas(serverLog, /1\.8b5 client refused/), /version=1\.8b5_palomino .*outcome=FAILED.*1\.8b5 client refused: this server requires hmac-sha256/);
  });
});

describe('[tls] through xinetd: the server wraps the socket it inherited', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let x: Xinetd;
  let plugins: Awaited<ReturnType<typeof installPlugins>>;
  let ca: TestCa;
  let data: string;
  let zrmConf: string;

  async function copyWith(tlsLines: string, name: string) {
    const dir = join(tmp.path, name);
    await mkdir(dir);
    const conf = join(dir, 'client.conf');
    const secretPath = join(dir, 'secret');
    await writeFile(secretPath, 'T'.repeat(64), { mode: 0o600 });
    await writeAppConfig(conf, { dir, extra: `[auth]\nsecret_file = ${secretPath}\n[tls]\n${tlsLines}` });
    const dest = join(dir, 'dest');
    await mkdir(dest);
    const r = await runPlugin(plugins['socket-copy.palomino.pl'], ['--source-host', '127.0.0.1', '--source-file', join(data, 'f.txt'), '--destination-directory', dest], {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      ZRM_CONF: zrmConf,
      ZRM_INNOBACKUPEX_CONF: conf,
    });
    return { ...r, copied: await readFile(join(dest, 'f.txt'), 'utf8').catch(() => undefined) };
  }

  before(async () => {
    tmp = await makeTempDir('zrm-tls-');
    plugins = await installPlugins(join(tmp.path, 'plugins'));
    data = join(tmp.path, 'data');
    await mkdir(data);
    await writeFile(join(data, 'f.txt'), 'payload\n');
    ca = await makeTestCa(join(tmp.path, 'ca'));
    const server = await ca.issue('db1', { usage: 'server' });
    const secretPath = join(tmp.path, 'server.secret');
    await writeFile(secretPath, 'T'.repeat(64), { mode: 0o600 });
    const conf = join(tmp.path, 'innobackupex.conf');
    await writeAppConfig(conf, {
      dir: tmp.path,
      allowedRoots: tmp.path,
      extra: `[auth]\nsecret_file = ${secretPath}\n[tls]\ncert = ${server.cert}\nkey = ${server.key}\nca = ${ca.ca}\n`,
    });
    x = await startXinetd(tmp.path, plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: conf } });
    zrmConf = join(tmp.path, 'zrm.conf');
    await writeZrmConf(zrmConf, { user: 'u', password: 'p', 'socket-remote-port': String(x.port) });
  });

  after(async () => {
    await x?.stop();
    await tmp?.cleanup();
  });

  test('a client with a certificate of the CA and the secret copies the file', async () => {
    const client = await ca.issue('bk1', { usage: 'client', san: 'DNS:bk1' });
    const r = await copyWith(`cert = ${client.cert}\nkey = ${client.key}\nca = ${ca.ca}\n`, 'good');
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.copied, 'payload\n');
    // ZRM's next call comes at once: the server must have ended TLS and exited (instances = 1).
    const again = await copyWith(`cert = ${client.cert}\nkey = ${client.key}\nca = ${ca.ca}\n`, 'again');
    assert.equal(again.exitCode, 0, again.stderr);
  });

  test('a client expecting another server name is refused by itself, before any request', async () => {
    const client = await ca.issue('bk2', { usage: 'client', san: 'DNS:bk2' });
    const r = await copyWith(`cert = ${client.cert}\nkey = ${client.key}\nca = ${ca.ca}\nserver_name = db9.example\n`, 'wrongname');
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /TLS handshake failed/);
    assert.equal(r.copied, undefined);
  });
});
