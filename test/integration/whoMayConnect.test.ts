import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { installPlugins, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';

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
    const got = await exchange(x.port, '127.0.0.1', request);
    assert.ok(got.length > 0);
    assert.match(await logOnceItHas(serverLog, /outcome=OK/), /peer=127\.0\.0\.1:\d+ .*action='copy from'.*outcome=OK/);
  });
});
