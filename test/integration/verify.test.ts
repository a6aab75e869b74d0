import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cp, mkdir, open, readFile, readdir, rm, stat, truncate } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { checkpoint, loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { MAIN_JS } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';
import { runPlugin } from '../helpers/zrmRun.js';

// `verify` on a real hot backup landed by the copy plugin: passes on a good one, fails naming
// the cause on a damaged one, and never changes what it was given.

async function treeHash(dir: string): Promise<string> {
  const hash = createHash('sha256');
  const walk = async (d: string): Promise<void> => {
    for (const e of (await readdir(d, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
      const p = join(d, e.name);
      const st = await stat(p);
      hash.update(`${p}\0${st.mode}\0${st.size}\0${st.mtimeMs}\0`);
      if (e.isDirectory()) await walk(p);
      else hash.update(await readFile(p));
    }
  };
  await walk(dir);
  return hash.digest('hex');
}

async function largestIbd(dir: string): Promise<string> {
  let best = { path: '', size: -1 };
  for (const db of await readdir(dir, { withFileTypes: true })) {
    if (!db.isDirectory()) continue;
    for (const f of await readdir(join(dir, db.name))) {
      if (!f.endsWith('.ibd')) continue;
      const size = (await stat(join(dir, db.name, f))).size;
      if (size > best.size) best = { path: join(dir, db.name, f), size };
    }
  }
  return best.path;
}

interface Run {
  exitCode: number;
  stdout: string;
  stderr: string;
}

describe('verify: a restore drill on a scratch copy', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let site: ZrmSite;
  let good: string;
  let scratch: string;
  let goodRows = 0;

  async function verify(dir: string, extra: string[] = []): Promise<Run> {
    const before = await treeHash(dir);
    const r = await execa(process.execPath, [MAIN_JS, 'verify', dir, '--scratch', scratch, ...extra], {
      env: site.env,
      reject: false,
      stdin: 'ignore',
    });
    assert.equal(await treeHash(dir), before, 'verify changed the backup it was given');
    assert.deepEqual(await readdir(scratch), [], 'scratch copy left behind');
    const ps = await execa('pgrep', ['-f', `datadir=${scratch}`], { reject: false });
    assert.equal(ps.stdout.trim(), '', 'throwaway server left running');
    return { exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr };
  }

  async function damagedCopy(name: string, damage: (dir: string) => Promise<void>): Promise<string> {
    const dir = join(tmp.path, 'damaged', name);
    await cp(good, dir, { recursive: true });
    await damage(dir);
    return dir;
  }

  before(async () => {
    tmp = await makeTempDir('zrm-verify-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 3, 3000);
    // Pages on disk, not only in the redo: else prepare rebuilds the page the test damages.
    await checkpoint(db);
    site = await startZrmSite(tmp.path, db);
    good = join(tmp.path, 'backups', 'set1', '20261129000000');
    scratch = join(tmp.path, 'scratch');
    await mkdir(good, { recursive: true });
    await mkdir(scratch);
    // The part of ZRM's sequence that lands a hot backup: arm, copy from, disarm.
    const snap = (args: string[]) => runPlugin(site.harness.plugins.snapshot, [...args, '--host', '127.0.0.1'], site.env);
    assert.equal((await snap(['--action', 'mount', '--dev', '/dev/null', '--directory', '/tmp/zrm-innosnap', '--fstype', 'null'])).exitCode, 0);
    const r = await runPlugin(site.harness.plugins.copy, ['--source-host', '127.0.0.1', '--source-file', `${good}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', good], site.env);
    assert.equal((await snap(['--action', 'umount', '--directory', '/tmp/zrm-innosnap'])).exitCode, 0);
    assert.equal(r.exitCode, 0, r.stderr);
  });

  after(async () => {
    await site?.xinetd.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('passes on a good backup: every table checked, rows counted, LSN reached', async () => {
    const r = await verify(join(tmp.path, 'backups', 'set1'), ['--json']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { ok: boolean; tables: number; rows: number; lsn: { backup: number; server: number }; tool: string; binlogReplay: string };
    assert.equal(report.ok, true);
    assert.equal(report.tool, 'mariabackup');
    assert.ok(report.tables >= 3);
    assert.ok(report.rows >= 9000, `rows ${report.rows}`);
    assert.ok(report.lsn.server >= report.lsn.backup && report.lsn.backup > 0);
    assert.match(report.binlogReplay, /^none: no binary logs/);
    goodRows = report.rows;
  });

  test('passes on ZRM\'s compressed layout too', async () => {
    const zrmDir = join(tmp.path, 'backups', 'set2', '20261129010000');
    await mkdir(zrmDir, { recursive: true });
    await execa('tar', ['-czf', join(zrmDir, 'backup-data'), '-C', good, '.']);
    const r = await verify(join(tmp.path, 'backups', 'set2'));
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    assert.match(r.stdout, /: OK\n/);
  });

  test('fails on bytes flipped inside a data page of the largest .ibd, naming the file', async () => {
    let target = '';
    const dir = await damagedCopy('flipped', async (d) => {
      target = await largestIbd(d);
      const fh = await open(target, 'r+');
      await fh.write(Buffer.from('deadbeefdeadbeef', 'hex'), 0, 8, 16384 * 4 + 5000);
      await fh.close();
    });
    const r = await verify(dir);
    assert.notEqual(r.exitCode, 0);
    const rel = target.slice(dir.length + 1);
    assert.match(r.stdout, new RegExp(`FAILED[\\s\\S]*${rel.replace('.', '\\.')}[\\s\\S]*checksum`));
    assert.match(r.stdout, /FAILED \(check-tables\)/);
    assert.match(r.stdout, /meaning: .*damaged/);
  });

  test('fails on a missing .ibd, naming the table', async () => {
    let table = '';
    const dir = await damagedCopy('missing', async (d) => {
      const ibd = await largestIbd(d);
      table = ibd.slice(d.length + 1, -'.ibd'.length).replace('/', '.');
      await rm(ibd);
    });
    const r = await verify(dir);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stdout, new RegExp(`FAILED \\(files\\)[\\s\\S]*${table.replace('.', '\\.')}`));
    assert.match(r.stdout, /meaning: .*missing/);
  });

  test('fails on a truncated ib_logfile0, before a prepare could silently stop early', async () => {
    const dir = await damagedCopy('truncated', async (d) => {
      const size = (await stat(join(d, 'ib_logfile0'))).size;
      await truncate(join(d, 'ib_logfile0'), Math.floor(size / 3));
    });
    const r = await verify(dir);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stdout, /FAILED \(redo-log\)[\s\S]*ib_logfile0 is truncated/);
    assert.match(r.stdout, /meaning: .*redo log/);
  });

  test('fails, saying so, when the scratch disk is too small', async () => {
    const small = join(tmp.path, 'small');
    await mkdir(small);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', small]);
    try {
      const r = await execa(process.execPath, [MAIN_JS, 'verify', good, '--scratch', small], { env: site.env, reject: false, stdin: 'ignore' });
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stdout, /FAILED \(scratch\)[\s\S]*scratch disk too small/);
      assert.deepEqual(await readdir(small), []);
    } finally {
      await execa('umount', [small]);
    }
  });

  // ZRM's level 1: after more writes and log rotations, a `copy from` of each binary log since
  // the full backup's into a new directory of the same backup set.
  async function incremental(setDir: string): Promise<string[]> {
    const start = (await readFile(join(good, 'xtrabackup_binlog_info'), 'utf8')).split('\t')[0] ?? '';
    const logs = (await db.sql('SHOW BINARY LOGS')).split('\n').map((l) => l.split('\t')[0] ?? '').filter((n) => n >= start);
    const inc = join(setDir, '20261129003000');
    await mkdir(inc, { recursive: true });
    for (const log of logs) {
      const r = await runPlugin(site.harness.plugins.copy, ['--source-host', '127.0.0.1', '--source-file', join(db.datadir, log), '--destination-host', 'localhost', '--destination-directory', inc], site.env);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    return logs;
  }

  test('replays the binary logs of a later incremental and reports the point in time reached', async () => {
    for (let i = 0; i < 2; i++) {
      await db.sql(`INSERT INTO sbtest.t0 (k, pad) VALUES (${i}, 'after the full backup'), (${i}, 'again')`);
      await db.sql('FLUSH BINARY LOGS');
    }
    await incremental(join(tmp.path, 'backups', 'set1'));
    const r = await verify(join(tmp.path, 'backups', 'set1'), ['--json']);
    assert.equal(r.exitCode, 0, r.stdout + r.stderr);
    const report = JSON.parse(r.stdout) as { rows: number; binlogReplay: string; pointInTime: { reached?: string } };
    assert.match(report.binlogReplay, /^replayed [3-9] binary log\(s\) from mysql-bin\.\d+:\d+, up to 20\d\d-/);
    assert.match(report.pointInTime.reached ?? '', /^20\d\d-\d\d-\d\d \d\d:\d\d:\d\d$/);
    assert.ok(report.rows >= goodRows + 4, `rows ${report.rows}, before the incremental ${goodRows}`);
  });

  test('fails on a gap in the incremental binary logs, naming the missing one', async () => {
    const setDir = join(tmp.path, 'backups', 'gap');
    await cp(good, join(setDir, '20261129000000'), { recursive: true });
    // The second log of the chain goes missing (the first is the backup's own).
    const logs = await incremental(setDir);
    const missing = logs[1] ?? '';
    assert.notEqual(missing, '');
    await rm(join(setDir, '20261129003000', missing));
    const r = await verify(setDir);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stdout, new RegExp(`FAILED \\(binlogs\\)[\\s\\S]*${missing.replace('.', '\\.')} is missing`));
  });
});
