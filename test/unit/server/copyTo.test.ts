import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { LegacySender } from '../../../src/protocol/legacyFrames.js';
import { runServer } from '../../../src/server/index.js';
import { socketPair } from '../../helpers/socketPair.js';
import { V2Sender } from '../../../src/protocol/v2Frames.js';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv, type ServerEnv } from './harness.js';

class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
}

/** A tar of a small tree (as the client's tar -c would send it). */
async function sourceTar(env: ServerEnv): Promise<Buffer> {
  const src = join(env.root, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'sub', 'a.txt'), 'alpha\n');
  await writeFile(join(src, 'big.bin'), Buffer.alloc(50_000, 7));
  const r = await execa('tar', ['-c', '-C', src, '--', 'sub', 'big.bin'], { encoding: 'buffer' });
  return Buffer.from(r.stdout);
}

async function legacyFrames(data: Buffer): Promise<Buffer> {
  const sink = new Sink();
  const sender = new LegacySender(sink);
  await sender.write(data);
  await sender.end();
  return Buffer.concat(sink.chunks);
}

async function v2Frames(data: Buffer, tamper?: (trailer: Record<string, unknown>) => void): Promise<Buffer> {
  const sink = new Sink();
  const sender = new V2Sender(sink);
  await sender.write(data);
  await sender.end({ ok: true, exitCode: 0, message: 'tar completed' });
  let wire = Buffer.concat(sink.chunks);
  if (tamper) {
    const start = wire.lastIndexOf(Buffer.from('{"ok"'));
    const trailer = JSON.parse(wire.subarray(start).toString()) as Record<string, unknown>;
    tamper(trailer);
    wire = Buffer.concat([wire.subarray(0, start), Buffer.from(`${JSON.stringify(trailer)}\n`)]);
  }
  return wire;
}

async function assertTree(dest: string): Promise<void> {
  assert.deepEqual((await readdir(dest)).sort(), ['big.bin', 'sub']);
  assert.equal(await readFile(join(dest, 'sub', 'a.txt'), 'utf8'), 'alpha\n');
  assert.deepEqual(await readFile(join(dest, 'big.bin')), Buffer.alloc(50_000, 7));
}

test('1.8b5 copy to: the files arrive, no reply', () =>
  withServerEnv(async (env) => {
    const dest = join(env.data, 'dest');
    await mkdir(dest);
    const r = await serve(env, [header(LEGACY_VERSION, 'copy to', dest, env.tmp), await legacyFrames(await sourceTar(env))]);
    assert.equal(r.status, 0, r.log);
    assert.equal(r.output.length, 0);
    await assertTree(dest);
  }));

test('v2 copy to: OK ready, the files arrive, SUCCESS', () =>
  withServerEnv(async (env) => {
    const dest = join(env.data, 'dest');
    await mkdir(dest);
    await writeFile(join(dest, 'already-there'), 'kept');
    const tar = await sourceTar(env);
    const r = await serve(env, [header(V2_VERSION, 'copy to', dest, env.tmp), await v2Frames(tar)]);
    assert.equal(r.status, 0, r.log);
    assert.equal(r.output.toString(), `OK ready\nSUCCESS\n1\nreceived ${tar.length} bytes into ${dest}\n`);
    assert.deepEqual((await readdir(dest)).sort(), ['already-there', 'big.bin', 'sub']);
    assert.equal(await readFile(join(dest, 'sub', 'a.txt'), 'utf8'), 'alpha\n');
    assert.deepEqual(await readFile(join(dest, 'big.bin')), Buffer.alloc(50_000, 7));
    assert.equal(await readFile(join(dest, 'already-there'), 'utf8'), 'kept');
  }));

test('v2 copy to with a tampered or failed trailer: ERROR, and nothing left in the destination', () =>
  withServerEnv(async (env) => {
    const dest = join(env.data, 'dest');
    await mkdir(dest);
    const tar = await sourceTar(env);
    const tampers: Array<[string, (t: Record<string, unknown>) => void, RegExp]> = [
      ['sha256', (t) => { t.sha256 = '0'.repeat(64); }, /SHA-256/],
      ['bytes', (t) => { t.bytes = Number(t.bytes) + 1; }, /received \d+ bytes but the sender sent/],
      ['ok', (t) => { t.ok = false; t.exitCode = 2; t.message = 'tar: boom'; }, /sender reported a failure .*tar: boom/],
    ];
    for (const [what, tamper, re] of tampers) {
      const r = await serve(env, [header(V2_VERSION, 'copy to', dest, env.tmp), await v2Frames(tar, tamper)]);
      assert.equal(r.status, 1, what);
      const text = r.output.toString();
      assert.ok(text.startsWith('OK ready\n'), text);
      const status = parseStatus(text.slice('OK ready\n'.length));
      assert.equal(status.ok, false, what);
      assert.match(status.lines.join(' '), re, what);
      assert.deepEqual(await readdir(dest), [], `${what}: no files and no .zrm-incoming-* staging left`);
    }
    // Cut before the trailer.
    const whole = await v2Frames(tar);
    const cut = await serve(env, [header(V2_VERSION, 'copy to', dest, env.tmp), whole.subarray(0, whole.length - 40)]);
    assert.equal(cut.status, 1);
    assert.deepEqual(await readdir(dest), []);
  }));

test('copy to a missing directory, a file, or outside the roots: refused before any data', () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.data, 'file'), '');
    for (const dest of [join(env.data, 'missing'), join(env.data, 'file'), env.root]) {
      const v2 = await serve(env, [header(V2_VERSION, 'copy to', dest, env.tmp), await v2Frames(Buffer.from('x'))]);
      assert.equal(v2.status, 1, dest);
      assert.match(v2.output.toString(), /^ERROR copy to refused: [^\n]*\n$/, dest);
      const legacy = await serve(env, [header(LEGACY_VERSION, 'copy to', dest, env.tmp), await legacyFrames(Buffer.from('x'))]);
      assert.equal(legacy.status, 1, dest);
      assert.equal(legacy.output.length, 0, dest);
    }
    assert.deepEqual((await readdir(env.root)).filter((n) => n.startsWith('.zrm-incoming-')), []);
  }));

test('fault: client goes silent mid-upload | both | after [server] stall_timeout the upload fails and the server hangs up (not after idle_timeout)', () =>
  withServerEnv(async (env) => {
    for (const version of [V2_VERSION, LEGACY_VERSION]) {
      const [client, server] = await socketPair();
      const logFile = join(env.root, `silent-${version}.log`);
      const logger = createLogger({ file: logFile, level: 'debug' });
      const toolLog = createLogger({ file: join(env.root, 'tool.log') });
      // As socketServer arms it: one socket with its idle_timeout (here 15 s, well past stall_timeout).
      server.setTimeout(15_000, () => server.destroy());
      client.write(header(version, 'copy to', env.data, env.tmp));
      const started = Date.now();
      const status = await runServer({ input: server, output: server }, { config: env.config, logger, toolLog, env: {}, peer: 'test' });
      const seconds = (Date.now() - started) / 1000;
      client.destroy();
      await flushLogger(logger);
      await flushLogger(toolLog);
      const log = await readFile(logFile, 'utf8');
      assert.equal(status, 1, log);
      assert.ok(seconds < 10, `${version}: a silent upload held the server ${seconds.toFixed(1)} s`);
      assert.match(log, /the client stopped sending: no data from test for 1 s mid-upload \(\[server\] stall_timeout\)/);
      assert.deepEqual((await readdir(env.data)).filter((n) => n.startsWith('.zrm-incoming-')), [], 'staging removed');
    }
  }, '[server]\nstall_timeout = 1\n'));
