import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import { makeRecord, type RecordInput } from '../../../src/monitor/record.js';
import { appendRecord } from '../../../src/monitor/store.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { memoryIo } from '../commands/memoryIo.js';

const HOUR = 3600_000;
const ago = (hours: number, extra: Partial<RecordInput> = {}) =>
  makeRecord({ kind: 'copy', action: 'copy from', ok: true, set: 'nightly', bytes: 123_456, startedAt: Date.now() - hours * HOUR - 30_000, endedAt: Date.now() - hours * HOUR, ...extra });

async function withStore(fn: (conf: string, state: string, dir: string) => Promise<void>): Promise<void> {
  await withTempDir('zrm-status-', async (dir) => {
    const state = join(dir, 'state');
    const conf = join(dir, 'innobackupex.conf');
    await writeFile(conf, `[state]\ndir = ${state}\n`);
    await mkdir(state, { mode: 0o700 });
    await appendRecord(state, ago(30, { path: '/b/nightly/20261125010000' }));
    await appendRecord(state, ago(6, { ok: false, bytes: 0, detail: 'mariabackup failed: exit 1' }));
    await appendRecord(state, ago(5, { set: 'weekly', bytes: 9_999 }));
    await appendRecord(state, ago(2, { kind: 'verify', action: 'verify', set: 'nightly', backupTime: new Date(Date.now() - 30 * HOUR).toISOString() }));
    await fn(conf, state, dir);
  });
}

async function status(conf: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
  const io = memoryIo({});
  const code = await main(['node', 'zrm-innobackupex', '-c', conf, 'status', ...args], io);
  return { code, out: io.out(), err: io.err() };
}

test('status keeps the settings block and lists recent runs newest first, and the last verified backup', () =>
  withStore(async (conf) => {
    const r = await status(conf, []);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^backup tool: {5}/m);
    assert.match(r.out, /^redirect armed: {2}no$/m);
    assert.match(r.out, /^client protocol: auto, compression off$/m);
    const table = r.out.slice(r.out.indexOf('recent runs'));
    assert.match(table, /recent runs \(4 of 4, newest first\)/);
    const rows = table.split('\n').filter((l) => /^ {2}\d{4}-/.test(l));
    assert.deepEqual(rows.map((l) => l.trim().split(/\s{2,}/)[1]), ['verify', 'copy', 'copy', 'copy']);
    assert.match(rows[2] ?? '', /FAILED .*mariabackup failed: exit 1/);
    assert.match(rows[3] ?? '', /nightly\s+OK\s+120\.6 KiB\s+30\.0\s+\/b\/nightly\/20261125010000/);
    assert.match(r.out, /last verified backup per set:\n {2}nightly: backup of .* restored OK/);
    assert.match((await status(conf, ['--last', '1'])).out, /recent runs \(1 of 4/);
    assert.equal((await status(conf, ['--last', '0'])).code, 2);
  }));

test('status --json: settings, recent runs, the latest per set and action, verified backups', () =>
  withStore(async (conf, state) => {
    const r = await status(conf, ['--json']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as {
      settings: { stateDir: string; clientCompression: string[]; serverCompression: boolean };
      history: { error: null; recent: Array<{ kind: string }>; latest: Array<{ set: string; action: string; lastRun: { ok: boolean }; lastSuccess: { bytes: number } | null }>; verified: Array<{ set: string }> };
    };
    assert.equal(doc.settings.stateDir, state);
    assert.deepEqual(doc.settings.clientCompression, []);
    assert.equal(doc.settings.serverCompression, true);
    assert.equal(doc.history.recent[0]?.kind, 'verify');
    const nightly = doc.history.latest.find((e) => e.set === 'nightly' && e.action === 'copy from');
    assert.equal(nightly?.lastRun.ok, false);
    assert.equal(nightly?.lastSuccess?.bytes, 123_456);
    assert.deepEqual(doc.history.verified.map((v) => v.set), ['nightly']);
  }));

/** Prometheus text format 0.0.4, strictly: HELP and TYPE before a metric's samples, numeric values. */
function parseExposition(text: string): Map<string, number> {
  assert.ok(text.endsWith('\n'));
  const samples = new Map<string, number>();
  const typed = new Set<string>();
  for (const line of text.slice(0, -1).split('\n')) {
    const meta = /^# (HELP|TYPE) ([a-zA-Z_:][a-zA-Z0-9_:]*) (.+)$/.exec(line);
    if (meta) {
      if (meta[1] === 'TYPE') {
        assert.equal(meta[3], 'gauge');
        typed.add(meta[2] ?? '');
      }
      continue;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*",?)*\})? (-?[0-9.e+]+)$/.exec(line);
    assert.ok(m, `not a sample line: ${line}`);
    assert.ok(typed.has(m[1] ?? ''), `sample before its TYPE: ${line}`);
    assert.ok(!samples.has(`${m[1]}${m[2] ?? ''}`), `duplicate series: ${line}`);
    samples.set(`${m[1]}${m[2] ?? ''}`, Number(m[3]));
  }
  return samples;
}

test('status --prometheus FILE writes a node_exporter textfile atomically (parsed strictly)', () =>
  withStore(async (conf, _state, dir) => {
    const file = join(dir, 'zrm_innobackupex.prom');
    await writeFile(file, 'old content that must be replaced whole\n');
    const r = await status(conf, ['--prometheus', file]);
    assert.equal(r.code, 0, r.err);
    const m = parseExposition(await readFile(file, 'utf8'));
    const nightly = '{kind="copy",action="copy from",backup_set="nightly"}';
    const now = Date.now() / 1000;
    assert.equal(m.get(`zrm_innobackupex_last_run_success${nightly}`), 0);
    assert.ok(Math.abs((m.get(`zrm_innobackupex_last_success_timestamp_seconds${nightly}`) ?? 0) - (now - 30 * 3600)) < 60);
    assert.equal(m.get(`zrm_innobackupex_last_run_bytes{kind="copy",action="copy from",backup_set="weekly"}`), 9999);
    assert.equal(m.get(`zrm_innobackupex_last_run_duration_seconds{kind="copy",action="copy from",backup_set="weekly"}`), 30);
    assert.ok(Math.abs((m.get('zrm_innobackupex_last_verified_backup_timestamp_seconds{backup_set="nightly"}') ?? 0) - (now - 30 * 3600)) < 60);
    assert.deepEqual((await readdir(dir)).filter((n) => n.includes('.tmp')), [], 'no temporary file left');
  }));

test('status --prometheus fails (exit 1) rather than write a file from an unreadable store', () =>
  withTempDir('zrm-status-', async (dir) => {
    await writeFile(join(dir, 'plain'), '');
    const conf = join(dir, 'c.conf');
    await writeFile(conf, `[state]\ndir = ${join(dir, 'plain')}\n`);
    const file = join(dir, 'out.prom');
    const r = await status(conf, ['--prometheus', file]);
    assert.equal(r.code, 1);
    assert.match(r.err, /cannot read the run history/);
    await assert.rejects(readFile(file));
  }));
