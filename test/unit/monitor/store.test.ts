import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { makeRecord, MAX_LINE } from '../../../src/monitor/record.js';
import { appendRecord, historyFile, readHistory, StoreUnreadable } from '../../../src/monitor/store.js';
import { withTempDir } from '../../helpers/tempDir.js';

const STORE_JS = fileURLToPath(new URL('../../../src/monitor/store.js', import.meta.url));
const RECORD_JS = fileURLToPath(new URL('../../../src/monitor/record.js', import.meta.url));

const copyRecord = (i: number, extra: Record<string, unknown> = {}) =>
  makeRecord({ kind: 'copy', action: 'copy from', startedAt: Date.now() - 1000, ok: true, set: 'daily', bytes: i, ...extra });

test('a record is appended as one JSON line in a 0640 file and read back; no password survives', () =>
  withTempDir('zrm-store-', async (dir) => {
    await appendRecord(dir, copyRecord(1, { detail: 'ran --password=hunter2 password=hunter2', path: '/b/x' }));
    const file = historyFile(dir, 'copy');
    assert.equal((await stat(file)).mode & 0o777, 0o640);
    const text = await readFile(file, 'utf8');
    assert.equal(text.split('\n').length, 2);
    assert.doesNotMatch(text, /hunter2/);
    const [r] = await readHistory(dir);
    assert.equal(r?.set, 'daily');
    assert.equal(r?.bytes, 1);
    assert.equal(r?.kind, 'copy');
  }));

test('a line is never longer than MAX_LINE, whatever the detail', () =>
  withTempDir('zrm-store-', async (dir) => {
    await appendRecord(dir, copyRecord(1, { detail: 'x'.repeat(20_000), path: `/${'p'.repeat(20_000)}` }));
    const text = await readFile(historyFile(dir, 'copy'), 'utf8');
    assert.ok(Buffer.byteLength(text) <= MAX_LINE + 1, `line of ${Buffer.byteLength(text)} bytes`);
    assert.equal((await readHistory(dir)).length, 1);
  }));

test('rotation keeps the store bounded: at most keepFiles files of about fileBytes, newest records kept', () =>
  withTempDir('zrm-store-', async (dir) => {
    const limits = { fileBytes: 4096, keepFiles: 3 };
    for (let i = 0; i < 300; i++) await appendRecord(dir, copyRecord(i), undefined, { limits });
    const names = (await readdir(dir)).filter((n) => n.startsWith('history-copy'));
    assert.deepEqual(names.sort(), ['history-copy.jsonl', 'history-copy.jsonl.1', 'history-copy.jsonl.2']);
    for (const n of names) assert.ok((await stat(join(dir, n))).size <= limits.fileBytes, `${n} over the bound`);
    const kept = (await readHistory(dir)).map((r) => r.bytes);
    assert.ok(kept.length < 300);
    assert.ok(kept.includes(299), 'the newest record is kept');
    assert.ok(!kept.includes(0), 'the oldest record is dropped');
  }));

test('several processes appending at once (with rotation) leave only whole lines', () =>
  withTempDir('zrm-store-', async (dir) => {
    const writer = `
      import { appendRecord } from ${JSON.stringify(STORE_JS)};
      import { makeRecord } from ${JSON.stringify(RECORD_JS)};
      const [dir, id, big] = process.argv.slice(2);
      const limits = { fileBytes: Number(big), keepFiles: 1000 };
      for (let i = 0; i < 150; i++) {
        await appendRecord(dir, makeRecord({ kind: 'request', action: 'copy from', startedAt: Date.now(), ok: true, peer: id, bytes: i, detail: id.repeat(300 + i) }), undefined, { limits });
      }`;
    const script = join(dir, 'writer.mjs');
    const store = join(dir, 'state');
    await mkdir(store);
    await writeFile(script, writer);
    await Promise.all(['a', 'b', 'c', 'd', 'e'].map((id) => execa(process.execPath, [script, store, id, String(64 * 1024)])));
    let lines = 0;
    for (const name of await readdir(store)) {
      if (!name.startsWith('history-request')) continue;
      for (const line of (await readFile(join(store, name), 'utf8')).split('\n')) {
        if (line === '') continue;
        lines++;
        const r = JSON.parse(line) as { peer: string; detail: string; bytes: number };
        assert.equal(r.detail, r.peer.repeat(300 + r.bytes), 'a line was interleaved with another');
      }
    }
    // keepFiles is large here: nothing was dropped, so every append is there, whole.
    assert.equal(lines, 5 * 150);
  }));

test('a store that cannot be written is logged, not thrown', () =>
  withTempDir('zrm-store-', async (dir) => {
    const blocker = join(dir, 'not-a-dir');
    await writeFile(blocker, '');
    const logFile = join(dir, 'log');
    const logger = createLogger({ file: logFile });
    await appendRecord(join(blocker, 'state'), copyRecord(1), logger, { create: true });
    await flushLogger(logger);
    assert.match(await readFile(logFile, 'utf8'), /run history: could not record the copy/);
  }));

test('an unreadable state dir is StoreUnreadable; a missing one is an empty history', () =>
  withTempDir('zrm-store-', async (dir) => {
    assert.deepEqual(await readHistory(join(dir, 'missing')), []);
    const file = join(dir, 'file');
    await writeFile(file, '');
    await assert.rejects(readHistory(file), StoreUnreadable);
  }));

test('a state directory the settings do not name is never created, only used when it exists', () =>
  withTempDir('zrm-store-', async (dir) => {
    const state = join(dir, 'default-state');
    await appendRecord(state, copyRecord(1));
    await assert.rejects(stat(state), 'the directory was created');
    await appendRecord(state, copyRecord(2), undefined, { create: true });
    assert.equal((await stat(state)).mode & 0o777, 0o700);
    await appendRecord(state, copyRecord(3));
    assert.deepEqual((await readHistory(state)).map((r) => r.bytes), [2, 3]);
  }));
