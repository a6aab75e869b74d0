import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { execa } from 'execa';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { LEGACY_CHUNK, readLegacyFrames } from '../../../src/protocol/legacyFrames.js';
import type { Session } from '../../../src/server/context.js';
import type { ProducerStatus } from '../../../src/server/dataSender.js';
import { sendLegacy } from '../../../src/server/legacySend.js';
import { Sink, collect, legacyWireOf, readerOf, split } from '../protocol/streams.js';
import { withServerEnv, type ServerEnv } from './harness.js';

// A 1.8b5 stream goes out as the producer makes it, but until the producer has succeeded the
// client never holds a stream that tar would take for a whole archive.

const OK: ProducerStatus = { ok: true, exitCode: 0, message: 'tar completed' };
const FAILED: ProducerStatus = { ok: false, exitCode: 2, message: 'tar: a file shrank' };

function sessionOf(env: ServerEnv, out: Sink): Session {
  return { output: out, bytes: 0, protocol: 'legacy', deps: { config: env.config, logger: createLogger({ file: join(env.root, 'server.log'), level: 'debug' }) } } as unknown as Session;
}

async function tarOf(env: ServerEnv, build: (src: string) => Promise<void>): Promise<Buffer> {
  const src = join(env.root, 'src');
  await mkdir(src);
  await build(src);
  return Buffer.from((await execa('tar', ['--same-owner', '-c', '-p', '-h', '--sort=name', '-C', src, '--', '.'], { encoding: 'buffer' })).stdout);
}

/** What tar -x makes of the stream the client got so far. */
async function tarExit(env: ServerEnv, wire: Buffer): Promise<number> {
  const stream = await collect(readLegacyFrames(readerOf(wire)));
  const dest = join(env.root, `x-${Math.random().toString(36).slice(2)}`);
  await mkdir(dest);
  return (await execa('tar', ['--same-owner', '-x', '-i', '-p', '-C', dest], { input: stream, reject: false })).exitCode ?? -1;
}

/** sendLegacy of `data` in `piece`-byte pieces; `during` looks at the wire before each piece and before the producer's verdict. */
async function run(env: ServerEnv, data: Buffer, verdict: ProducerStatus, opts: { piece?: number; holdLimit?: number; stage?: boolean; during?: (wire: Buffer) => Promise<void> } = {}) {
  const out = new Sink();
  const s = sessionOf(env, out);
  let produced = false;
  async function* source(): AsyncGenerator<Buffer> {
    for (const piece of split(data, opts.piece ?? 8192)) {
      await opts.during?.(out.data);
      yield piece;
    }
    produced = true;
  }
  let decide: (st: ProducerStatus) => void = () => undefined;
  const decided = new Promise<ProducerStatus>((resolve) => (decide = resolve));
  const sending = sendLegacy(s, source(), () => decided, () => undefined, { stage: opts.stage === true, ...(opts.holdLimit === undefined ? {} : { holdLimit: opts.holdLimit }) });
  while (!produced) await tick();
  await tick();
  const beforeVerdict = out.data;
  await opts.during?.(beforeVerdict);
  decide(verdict);
  const status = await sending;
  await flushLogger(s.deps.logger);
  return { status, beforeVerdict, wire: out.data };
}

test('1.8b5: the stream goes out before the producer has finished, never where tar would call it whole, and byte for byte as the old server sent it', () =>
  withServerEnv(async (env) => {
    const data = await tarOf(env, async (src) => {
      await mkdir(join(src, 'db'));
      for (let i = 0; i < 6; i++) await writeFile(join(src, 'db', `t${i}.ibd`), Buffer.alloc(9000 + i * 7000, i + 1));
      await writeFile(join(src, 'db', 'empty.frm'), '');
    });
    let looked = 0;
    const r = await run(env, data, OK, {
      during: async (wire) => {
        if (wire.length === 0) return;
        looked++;
        assert.notEqual(await tarExit(env, wire), 0, `tar exits 0 on the ${wire.length} wire bytes sent before the producer succeeded`);
      },
    });
    assert.ok(looked >= 3, `the stream went out while it was made (looked at ${looked} prefixes)`);
    assert.ok(r.beforeVerdict.length > data.length / 2, 'most of it went out before the verdict');
    assert.equal(r.status.ok, true);
    assert.ok(r.wire.equals(await legacyWireOf(data)), 'the wire is what the old server sent');
    assert.equal(await tarExit(env, r.wire), 0);
  }));

test('1.8b5: a producer that fails after its data went out leaves a stream tar refuses, even where the failure text would end the member', () =>
  withServerEnv(async (env) => {
    // One file whose data ends 1024 bytes after the last 10240-byte chunk that may go out early:
    // the failure frame's 1024 bytes would complete it exactly.
    const data = await tarOf(env, (src) => writeFile(join(src, 'f'), Buffer.alloc(2 * LEGACY_CHUNK + 1024 - 512 - 512, 9)));
    const r = await run(env, data, FAILED);
    assert.equal(r.status.ok, false);
    assert.equal(r.beforeVerdict.length > 0, true, 'data went out before the verdict');
    assert.notEqual(await tarExit(env, r.wire), 0, 'tar must refuse the stream of a failed producer');
  }));

test('1.8b5: a run of entries without data longer than the hold limit is staged, and sent whole once the producer succeeded', () =>
  withServerEnv(async (env) => {
    const data = await tarOf(env, async (src) => {
      await writeFile(join(src, 'a'), Buffer.alloc(30_000, 1));
      for (let i = 0; i < 40; i++) await mkdir(join(src, `d${i}`));
      await writeFile(join(src, 'z'), Buffer.alloc(30_000, 2));
    });
    let staged = false;
    const r = await run(env, data, OK, {
      holdLimit: 8192,
      during: async () => {
        staged ||= (await readdir(env.tmp)).length > 0;
      },
    });
    assert.ok(staged, 'the rest of the stream was staged in tmp_dir');
    assert.ok(r.beforeVerdict.length > 0 && r.beforeVerdict.length < data.length, 'what came before the run of directories went out early');
    assert.ok(r.wire.equals(await legacyWireOf(data)), 'the wire is what the old server sent');
    assert.deepEqual(await readdir(env.tmp), [], 'the staging directory is removed');
    const failed = await run(env, data, FAILED, { holdLimit: 8192 });
    assert.notEqual(await tarExit(env, failed.wire), 0);
    assert.ok(failed.wire.length < r.wire.length, 'nothing staged went out for a failed producer');
  }));

test('1.8b5, a backup tool\'s output (stage): nothing goes out before the tool has succeeded, then all of it as the old server sent it', () =>
  withServerEnv(async (env) => {
    const data = await tarOf(env, (src) => writeFile(join(src, 'ibdata1'), Buffer.alloc(100_000, 3)));
    const ok = await run(env, data, OK, { stage: true });
    assert.equal(ok.beforeVerdict.length, 0, 'nothing before the verdict');
    assert.ok(ok.wire.equals(await legacyWireOf(data)));
    const failed = await run(env, data, FAILED, { stage: true });
    assert.equal(failed.beforeVerdict.length, 0);
    assert.notEqual(await tarExit(env, failed.wire), 0);
    assert.ok(failed.wire.length < 2 * LEGACY_CHUNK, 'only the failure frame');
    assert.deepEqual(await readdir(env.tmp), [], 'the staging directory is removed');
  }));

test('1.8b5, staging on a full disk: the producer is stopped, the client gets the failure frame, the log says why, nothing is left', () =>
  withServerEnv(async (env) => {
    const data = await tarOf(env, (src) => writeFile(join(src, 'ibdata1'), Buffer.alloc(3 * 1024 * 1024, 5)));
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', env.tmp]);
    try {
      let aborted = false;
      const out = new Sink();
      const s = sessionOf(env, out);
      const status = await sendLegacy(s, (async function* () { yield* split(data, 65536); })(), async () => (aborted ? FAILED : OK), () => { aborted = true; }, { stage: true });
      await flushLogger(s.deps.logger);
      assert.equal(status.ok, false);
      assert.ok(aborted, 'the producer was stopped');
      assert.match(status.message, /staging the stream in .* failed: .*(No space left|ENOSPC)/);
      assert.notEqual(await tarExit(env, out.data), 0);
      assert.ok(out.data.length < 2 * LEGACY_CHUNK, 'only the failure frame');
      assert.deepEqual(await readdir(env.tmp), [], 'the staging directory is removed');
    } finally {
      await execa('umount', [env.tmp]);
    }
  }));
