import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import { makeRecord, type RecordInput } from '../../../src/monitor/record.js';
import { appendRecord } from '../../../src/monitor/store.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { memoryIo } from '../commands/memoryIo.js';

// check as Nagios runs it: the built CLI's `check` over a real state dir and real ZRM
// destination directories. Ages are set by writing records that ended hours ago.

const HOUR = 3600_000;
const LINE = /^INNOBACKUPEX (OK|WARNING|CRITICAL|UNKNOWN) - [^|\n]+(\|[^\n]*)?\n$/;

async function site(dir: string): Promise<{ conf: string; state: string; dest: string }> {
  const state = join(dir, 'state');
  const dest = join(dir, 'backups');
  await mkdir(dest);
  await mkdir(state, { mode: 0o700 });
  const conf = join(dir, 'innobackupex.conf');
  await writeFile(conf, `[state]\ndir = ${state}\n`);
  return { conf, state, dest };
}

const record = (hoursAgo: number, extra: Partial<RecordInput> = {}) =>
  makeRecord({ kind: 'copy', action: 'copy from', ok: true, set: 'nightly', bytes: 5_000_000, startedAt: Date.now() - hoursAgo * HOUR - 42_000, endedAt: Date.now() - hoursAgo * HOUR, ...extra });

async function check(conf: string, args: string[]): Promise<{ code: number; out: string; state: string }> {
  const io = memoryIo({});
  const code = await main(['node', 'zrm-innobackupex', '-c', conf, 'check', ...args], io);
  const out = io.out();
  assert.match(out, LINE, `not one status line: ${JSON.stringify(out)}`);
  assert.equal(io.err(), '');
  return { code, out, state: LINE.exec(out)?.[1] ?? '' };
}

/** A ZRM backup directory <dest>/<set>/<stamp>/ with ZRM's index (status) and some data. */
async function zrmBackup(dest: string, set: string, hoursAgo: number, status: string | undefined): Promise<string> {
  const t = new Date(Date.now() - hoursAgo * HOUR);
  const stamp = t.toISOString().replace(/\D/g, '').slice(0, 14);
  const dir = join(dest, set, stamp);
  await mkdir(join(dir, 'data'), { recursive: true });
  await writeFile(join(dir, 'data', 'ibdata1'), Buffer.alloc(1000));
  if (status !== undefined) {
    await writeFile(join(dir, 'index'), `backup-set=${set}\nbackup-date=${stamp}\nbackup-date-epoch=${Math.floor(t.getTime() / 1000)}\nbackup-level=0\nbackup-size=1.50 MB\nbackup-time=00:01:05\nbackup-status=${status}\n`);
  }
  return dir;
}

test('check: a recent good backup is OK (0) with size and duration perfdata', () =>
  withTempDir('zrm-check-', async (dir) => {
    const s = await site(dir);
    await appendRecord(s.state, record(3));
    const r = await check(s.conf, ['--max-age', '26h']);
    assert.equal(r.code, 0, r.out);
    assert.equal(r.state, 'OK');
    assert.match(r.out, /nightly: last backup 3h ago, 4.8 MiB in 42s/);
    assert.match(r.out, /\|age=\d+s;;93600;0; size=5000000B;;;0; duration=42s;;;0;\n$/);
  }));

test('check: older than --warning-age is WARNING (1), older than --max-age CRITICAL (2)', () =>
  withTempDir('zrm-check-', async (dir) => {
    const s = await site(dir);
    await appendRecord(s.state, record(24));
    assert.equal((await check(s.conf, ['--max-age', '26h', '--warning-age', '20h'])).code, 1);
    assert.equal((await check(s.conf, ['--max-age', '26h'])).code, 0);
    const crit = await check(s.conf, ['--max-age', '1d', '--warning-age', '12h']);
    assert.equal(crit.code, 2, crit.out);
    assert.match(crit.out, /CRITICAL - nightly: last backup 1d ago.*\(max 1d\)/);
  }));

test('check: a failed run after the last good one is WARNING, naming the failure', () =>
  withTempDir('zrm-check-', async (dir) => {
    const s = await site(dir);
    await appendRecord(s.state, record(5));
    await appendRecord(s.state, record(1, { ok: false, bytes: 0, detail: 'mariabackup failed: exit 1' }));
    const r = await check(s.conf, []);
    assert.equal(r.code, 1, r.out);
    assert.match(r.out, /last run FAILED 1h ago: mariabackup failed: exit 1/);
  }));

test('check: UNKNOWN (3) for bad arguments, bad settings, no store, an unreadable store or destination', () =>
  withTempDir('zrm-check-', async (dir) => {
    const s = await site(dir);
    for (const args of [['--max-age', 'soon'], ['--bogus'], ['extra'], ['--max-age', '1h', '--warning-age', '2h']]) {
      assert.equal((await check(s.conf, args)).code, 3, args.join(' '));
    }
    const none = await check(s.conf, []);
    assert.equal(none.code, 3);
    assert.match(none.out, /no run history in/);
    const bad = join(dir, 'bad.conf');
    await writeFile(bad, '[state]\nno_such_key = 1\n');
    assert.equal((await check(bad, [])).code, 3);
    const fileAsState = join(dir, 'file.conf');
    await writeFile(join(dir, 'plain-file'), '');
    await writeFile(fileAsState, `[state]\ndir = ${join(dir, 'plain-file')}\n`);
    assert.equal((await check(fileAsState, [])).code, 3);
    const missingDest = await check(s.conf, ['--destination', join(dir, 'nowhere')]);
    assert.equal(missingDest.code, 3);
    assert.match(missingDest.out, /cannot read destination/);
  }));

test('check --destination: the newest completed ZRM backup per set counts; a run without "Backup succeeded" does not', () =>
  withTempDir('zrm-check-', async (dir) => {
    const s = await site(dir);
    await zrmBackup(s.dest, 'nightly', 30, 'Backup succeeded');
    await zrmBackup(s.dest, 'nightly', 2, undefined); // in progress, or died: no index yet
    await zrmBackup(s.dest, 'nightly', 1, 'Backup failed');
    await zrmBackup(s.dest, 'weekly', 50, 'Backup succeeded');
    const r = await check(s.conf, ['--max-age', '26h', '--destination', s.dest]);
    assert.equal(r.code, 2, r.out);
    assert.match(r.out, /nightly: last backup 1d6h ago/);
    assert.match(r.out, /weekly: last backup 2d2h ago/);
    assert.match(r.out, /nightly_age=\d+s;;93600;0;/);
    await zrmBackup(s.dest, 'nightly', 3, 'Backup succeeded');
    const one = await check(s.conf, ['--max-age', '26h', '--destination', s.dest, '--set', 'nightly']);
    assert.equal(one.code, 0, one.out);
    assert.match(one.out, /size=1572864B;;;0; duration=65s/);
    const weekly = await check(s.conf, ['--max-age', '8d', '--destination', s.dest, '--set', 'weekly']);
    assert.equal(weekly.code, 0, weekly.out);
  }));

test('check --max-verified-age: CRITICAL with no verified backup, OK once verify passed on a recent one', () =>
  withTempDir('zrm-check-', async (dir) => {
    const s = await site(dir);
    await appendRecord(s.state, record(2));
    const none = await check(s.conf, ['--max-verified-age', '8d']);
    assert.equal(none.code, 2, none.out);
    assert.match(none.out, /no verified backup/);
    await appendRecord(s.state, record(1, { kind: 'verify', action: 'verify', ok: false, detail: 'check-tables: corrupt' }));
    assert.equal((await check(s.conf, ['--max-verified-age', '8d'])).code, 2, 'a failed verify proves nothing');
    const old = new Date(Date.now() - 10 * 24 * HOUR).toISOString();
    await appendRecord(s.state, record(1, { kind: 'verify', action: 'verify', backupTime: old }));
    const stale = await check(s.conf, ['--max-verified-age', '8d']);
    assert.equal(stale.code, 2, `the verified backup itself is 10 days old: ${stale.out}`);
    assert.equal((await check(s.conf, ['--max-verified-age', '12d', '--warning-verified-age', '9d'])).code, 1);
    await appendRecord(s.state, record(0.5, { kind: 'verify', action: 'verify', backupTime: new Date(Date.now() - 2 * HOUR).toISOString() }));
    const ok = await check(s.conf, ['--max-verified-age', '8d']);
    assert.equal(ok.code, 0, ok.out);
    assert.match(ok.out, /verified_age=\d+s;;691200;0;/);
  }));
