import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { readHistory } from '../../src/monitor/store.js';
import { parseEncoding } from '../../src/protocol/compression.js';
import { CompressingSender } from '../../src/protocol/compressionFrames.js';
import { installPlugins, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { runPlugin, writeZrmConf } from '../helpers/zrmRun.js';

// Compression in transit (protocol 2.2), all real: our socket server under xinetd, the copy
// plugin with [client] compression = gzip:1, GNU tar on both ends. Against our server the files
// travel compressed and land identical; a server that answers at most 2.1, and an unmodified
// 1.8b5 one, are stepped down to; a hostile server's corrupt compressed stream fails the copy
// with the integrity exit status and leaves nothing.
const LEGACY = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'test', 'fixtures', 'legacy');

describe('compression in transit through xinetd', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let ours: Xinetd;
  let older: Xinetd;
  let perl: Xinetd;
  let copyPlugin: string;
  let clientConf: string;
  let serverLog: string;
  let olderLog: string;
  let src: string;

  const copyFrom = async (port: number, from: string, dest: string) => {
    const zrmConf = join(tmp.path, `zrm-${port}.conf`);
    await writeZrmConf(zrmConf, { 'socket-remote-port': String(port) });
    await mkdir(dest, { recursive: true });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: clientConf };
    return runPlugin(copyPlugin, ['--source-host', '127.0.0.1', '--source-file', from, '--destination-host', 'localhost', '--destination-directory', dest], env);
  };

  const assertSameTree = async (a: string, b: string) => {
    const r = await execa('diff', ['-r', a, b], { reject: false });
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
  };

  before(async () => {
    tmp = await makeTempDir('zrm-compress-');
    const plugins = await installPlugins(join(tmp.path, 'plugins'));
    copyPlugin = plugins['socket-copy.palomino.pl'];
    const serverConf = join(tmp.path, 'server.conf');
    await writeAppConfig(serverConf, { dir: join(tmp.path, 'server'), allowedRoots: tmp.path });
    serverLog = join(tmp.path, 'server', 'socket-server.log');
    ours = await startXinetd(join(tmp.path, 'server'), plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: serverConf } });
    // The same server answering as a 2.1 one: a client asking 2.2 must come back in 2.1.
    const olderConf = join(tmp.path, 'server-2.1.conf');
    await writeAppConfig(olderConf, { dir: join(tmp.path, 'server-2.1'), allowedRoots: tmp.path, extra: '[server]\nmax_v2_version = 2.1\n' });
    olderLog = join(tmp.path, 'server-2.1', 'socket-server.log');
    older = await startXinetd(join(tmp.path, 'server-2.1'), plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: olderConf } });
    await mkdir(join(tmp.path, 'perl'));
    perl = await startXinetd(join(tmp.path, 'perl'), join(LEGACY, 'old-server.pl'));
    clientConf = join(tmp.path, 'client.conf');
    await writeAppConfig(clientConf, { dir: join(tmp.path, 'client'), extra: '[client]\ncompression = gzip:1\n' });
    await mkdir(join(tmp.path, 'client', 'state'), { recursive: true, mode: 0o700 });
    // A binary log's worth of SQL (compressible) and a random file (not).
    src = join(tmp.path, 'src');
    await mkdir(join(src, 'binlogs'), { recursive: true });
    const rows = Array.from({ length: 60_000 }, (_, i) => `INSERT INTO sbtest1 VALUES (${i}, ${(i * 7919) % 100000}, '${String(i * 31).padStart(11, '0')}-${String(i % 977).padStart(11, '0')}', 'pad');\n`);
    await writeFile(join(src, 'binlogs', 'mysql-bin.000001'), rows.join(''));
    await writeFile(join(src, 'binlogs', 'random.bin'), randomBytes(3 * 1024 * 1024 + 17));
  });

  after(async () => {
    await ours?.stop();
    await older?.stop();
    await perl?.stop();
    await tmp?.cleanup();
  });

  test('copy from our server: asked in 2.2, sent gzip:1, the files land identical; the saving is logged and in the history', async () => {
    const dest = join(tmp.path, 'landed');
    const r = await copyFrom(ours.port, join(src, 'binlogs'), dest);
    assert.equal(r.exitCode, 0, r.stderr);
    await assertSameTree(join(src, 'binlogs'), join(dest, 'binlogs'));
    const log = await readFile(serverLog, 'utf8');
    assert.match(log, /version=2\.2_zrm-innobackupex action='copy from'.*outcome=OK/);
    const sent = /sent (\d+) bytes as (\d+) on the wire \(gzip:1/.exec(log);
    assert.ok(sent, log);
    assert.ok(Number(sent[2]) < Number(sent[1]), `compressed: ${sent[0]}`);
    const history = await readHistory(join(tmp.path, 'client', 'state'));
    const copy = history.filter((h) => h.kind === 'copy').at(-1);
    assert.equal(copy?.compression, 'gzip:1');
    assert.equal(copy?.wireBytes, Number(sent[2]));
    assert.equal(copy?.bytes, Number(sent[1]));
  });

  test('a server that answers at most 2.1 hangs up on 2.2: asked again in 2.1, raw bytes, remembered (the next copy asks 2.1 at once)', async () => {
    const first = await copyFrom(older.port, join(src, 'binlogs'), join(tmp.path, 'from-2.1'));
    assert.equal(first.exitCode, 0, first.stderr);
    await assertSameTree(join(src, 'binlogs'), join(tmp.path, 'from-2.1', 'binlogs'));
    const peer = await readFile(join(tmp.path, 'client', 'state', `peer-127.0.0.1-${older.port}`), 'utf8');
    assert.equal(peer.split('\n')[0], 'v2.1');
    const refusals = (text: string) => text.split('\n').filter((l) => l.includes('unsupported protocol version')).length;
    const before = refusals(await readFile(olderLog, 'utf8'));
    assert.ok(before >= 1, 'the 2.2 request was refused');
    const second = await copyFrom(older.port, join(src, 'binlogs'), join(tmp.path, 'from-2.1-again'));
    assert.equal(second.exitCode, 0, second.stderr);
    const log = await readFile(olderLog, 'utf8');
    assert.equal(refusals(log), before, 'no 2.2 attempt once the server is remembered as 2.1');
    assert.match(log.split('\n').filter((l) => l.includes('outcome=OK')).at(-1) ?? '', /version=2\.1_zrm-innobackupex/);
  });

  test('an unmodified 1.8b5 server: the chain ends in 1.8b5 and the copy lands', async () => {
    const r = await copyFrom(perl.port, join(src, 'binlogs', 'random.bin'), join(tmp.path, 'from-perl'));
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await readFile(join(tmp.path, 'from-perl', 'random.bin')), await readFile(join(src, 'binlogs', 'random.bin')));
  });

  test('fault: compressed stream (2.2) with bytes flipped by a hostile server, through the copy plugin | v2 | copy plugin exits 6 (integrity) naming the corrupt gzip stream; destination empty', async () => {
    // The stream a real server would send for a tar of the random file, then flipped on the way.
    const archive = (await execa('tar', ['-c', '-C', join(src, 'binlogs'), 'mysql-bin.000001'], { encoding: 'buffer' })).stdout;
    const wire: Buffer[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        wire.push(Buffer.from(chunk));
        cb();
      },
    });
    const enc = parseEncoding('gzip:1');
    assert.ok(enc);
    const sender = new CompressingSender(sink, enc);
    const r0 = sender.send(Buffer.from(archive));
    if (r0 !== true) await r0;
    await sender.end({ ok: true, exitCode: 0, message: 'completed OK!' });
    const stream = Buffer.concat(wire);
    const at = Math.floor(stream.length / 3);
    stream.writeUInt8((stream.readUInt8(at) ^ 0x20) & 0xff, at);
    const lines: string[] = [];
    const server: Server = createServer((s: Socket) => {
      s.on('error', () => undefined);
      let buf = '';
      s.on('data', (d: Buffer) => {
        if (buf === '#') return;
        buf += d.toString('latin1');
        if (buf.split('\n').length <= 5) return;
        lines.push(buf.slice(0, buf.indexOf('\n')));
        buf = '#';
        s.end(Buffer.concat([Buffer.from('OK tar compression=gzip:1\n'), stream]));
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const dest = join(tmp.path, 'from-hostile');
      const r = await copyFrom(port, '/var/lib/mysql/binlogs', dest);
      assert.equal(r.exitCode, 6, r.stderr);
      assert.match(r.stderr, /compressed data stream \(gzip\) is corrupt|SHA-256 of the received data/);
      assert.deepEqual(await readdir(dest), [], 'nothing published');
      assert.equal(lines[0], '2.2_zrm-innobackupex gzip:1');
    } finally {
      server.close();
    }
  });
});
