import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { MAIN_JS } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';
import { runPlugin } from '../helpers/zrmRun.js';
import { readHistory } from '../../src/monitor/store.js';

// Monitoring end to end: a real hot backup landed through the plugins in ZRM's layout, then
// check, verify, check again and the Prometheus textfile, each through the built CLI.
describe('monitoring a real backup: history, check, verify, status', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let site: ZrmSite;
  let backup: string;
  let state: string;
  // MONITORING_SAMPLE=FILE keeps the outputs (the README's Monitoring section shows a real run).
  const sample: string[] = [];

  const cli = (args: string[]) => execa(process.execPath, [MAIN_JS, ...args], { env: site.env, reject: false, stdin: 'ignore' });

  before(async () => {
    tmp = await makeTempDir('zrm-monitoring-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 2, 1000);
    site = await startZrmSite(tmp.path, db);
    state = join(tmp.path, 'state');
    const stamp = new Date().toISOString().replace(/\D/g, '').slice(0, 14);
    backup = join(tmp.path, 'backups', 'set1', stamp);
    await mkdir(backup, { recursive: true });
    const snap = (args: string[]) => runPlugin(site.harness.plugins.snapshot, [...args, '--host', '127.0.0.1'], site.env);
    assert.equal((await snap(['--action', 'mount', '--dev', '/dev/null', '--directory', '/tmp/zrm-innosnap', '--fstype', 'null'])).exitCode, 0);
    const r = await runPlugin(site.harness.plugins.copy, ['--source-host', '127.0.0.1', '--source-file', `${backup}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', backup], site.env);
    assert.equal((await snap(['--action', 'umount', '--directory', '/tmp/zrm-innosnap'])).exitCode, 0);
    assert.equal(r.exitCode, 0, r.stderr);
  });

  after(async () => {
    await site?.xinetd.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('the backup tool run and the copy are both in the history, with set, bytes, tool and sha256', async () => {
    const records = await readHistory(state);
    const served = records.find((r) => r.kind === 'request' && r.action === 'copy from');
    assert.equal(served?.ok, true);
    assert.equal(served?.tool, 'mariabackup');
    assert.equal(served?.set, 'set1');
    const copied = records.find((r) => r.kind === 'copy' && r.action === 'copy from');
    assert.equal(copied?.ok, true);
    assert.equal(copied?.set, 'set1');
    assert.equal(copied?.path, backup);
    assert.equal(copied?.tool, 'mariabackup');
    assert.match(copied?.toolVersion ?? '', /\d+\.\d+/);
    assert.match(copied?.sha256 ?? '', /^[0-9a-f]{64}$/);
    assert.ok((copied?.bytes ?? 0) > 1_000_000, `bytes ${copied?.bytes}`);
    assert.equal(copied?.bytes, served?.bytes);
    const text = await readFile(join(state, 'history-request.jsonl'), 'utf8');
    assert.doesNotMatch(text, /password/i);
  });

  test('check is OK on the backup, CRITICAL until verify has passed on it, then OK', async () => {
    const ok = await cli(['check', '--max-age', '26h', '--destination', join(tmp.path, 'backups')]);
    assert.equal(ok.exitCode, 0, ok.stdout);
    assert.match(ok.stdout, /^INNOBACKUPEX OK - set1: last backup \S+ ago, [\d.]+ MiB in [\d.]+s\|age=\d+s;;93600;0; size=\d+B;;;0; duration=[\d.]+s;;;0;$/);
    const unverified = await cli(['check', '--max-age', '26h', '--max-verified-age', '8d']);
    sample.push(ok.stdout, `exit ${ok.exitCode}`, unverified.stdout, `exit ${unverified.exitCode}`);
    assert.equal(unverified.exitCode, 2, unverified.stdout);
    assert.match(unverified.stdout, /^INNOBACKUPEX CRITICAL - set1: last backup .*; set1: no verified backup/);
    const scratch = join(tmp.path, 'scratch');
    await mkdir(scratch);
    // The nightly timer's command: over budget, the backup is skipped (and nothing recorded).
    const dest = join(tmp.path, 'backups');
    const skipped = await cli(['verify-newest', '--destination', dest, '--scratch', scratch, '--max-scratch', '1M']);
    assert.equal(skipped.exitCode, 1, skipped.stdout + skipped.stderr);
    assert.match(skipped.stderr, /skipped .*set1.*more than --max-scratch 1\.0 MiB/);
    assert.deepEqual((await readHistory(state)).filter((r) => r.kind === 'verify'), []);
    const v = await cli(['verify-newest', '--destination', dest, '--scratch', scratch, '--max-scratch', '10G']);
    assert.equal(v.exitCode, 0, v.stdout + v.stderr);
    assert.match(v.stderr, new RegExp(`set set1: ${backup}`));
    const verified = (await readHistory(state)).filter((r) => r.kind === 'verify');
    assert.equal(verified.length, 1);
    assert.equal(verified[0]?.ok, true);
    assert.equal(verified[0]?.set, 'set1');
    assert.ok((verified[0]?.tables ?? 0) >= 2);
    assert.ok(verified[0]?.backupTime, 'the verified backup\'s own time is recorded');
    const after = await cli(['check', '--max-age', '26h', '--max-verified-age', '8d']);
    assert.equal(after.exitCode, 0, after.stdout);
    assert.match(after.stdout, /set1: newest verified backup \S+ old/);
    sample.push(v.stderr, v.stdout, after.stdout, `exit ${after.exitCode}`);
  });

  test('status shows the runs; --prometheus writes the verified time too', async () => {
    const prom = join(tmp.path, 'zrm.prom');
    const s = await cli(['status', '--prometheus', prom]);
    assert.equal(s.exitCode, 0, s.stderr);
    assert.match(s.stdout, /recent runs \(\d+ of \d+, newest first\):\n {2}ENDED \(UTC\)/);
    assert.match(s.stdout, / copy +copy from +set1 +OK /);
    const text = await readFile(prom, 'utf8');
    assert.match(text, /^zrm_innobackupex_last_run_success\{kind="copy",action="copy from",backup_set="set1"\} 1$/m);
    assert.match(text, /^zrm_innobackupex_last_verified_backup_timestamp_seconds\{backup_set="set1"\} \d{10}$/m);
    if (process.env.MONITORING_SAMPLE) await writeFile(process.env.MONITORING_SAMPLE, [...sample, s.stdout, text].join('\n----\n'));
  });
});
