import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, tableChecksums, type MariaDb } from '../helpers/mariadb.js';
import { makeTempDir } from '../helpers/tempDir.js';
import type { Xinetd } from '../helpers/xinetd.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';
import { runPlugin, zrmFullBackup, type ZrmHarness } from '../helpers/zrmRun.js';

// The whole path, all real: ZRM's call order against xinetd → our socket server → mariabackup
// on a live MariaDB, the backup prepared and started as a second server, every table compared.
const TABLES = Number(process.env.ZRM_TEST_TABLES ?? 4);
const ROWS = Number(process.env.ZRM_TEST_ROWS ?? 40_000);

describe('ZRM full backup through xinetd and mariabackup', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let xinetd: Xinetd;
  let harness: ZrmHarness;
  let site: ZrmSite;
  let serverLog: string;

  before(async () => {
    tmp = await makeTempDir('zrm-e2e-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', TABLES, ROWS);
    site = await startZrmSite(tmp.path, db);
    xinetd = site.xinetd;
    serverLog = site.serverLog;
    harness = site.harness;
  });

  after(async () => {
    await xinetd?.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('every step succeeds and the prepared copy matches the source table by table', async () => {
    const dest = join(tmp.path, 'backups', 'set1', '20261125000000');
    await mkdir(dest, { recursive: true });
    // Writes go on during the backup: it is a hot backup, nothing may block them for long.
    const writer = (async () => {
      for (let i = 0; i < 20; i++) await db.sql(`INSERT INTO sbtest.t0 (k, pad) VALUES (${i}, 'during backup')`);
    })();
    const { steps } = await zrmFullBackup(harness, '127.0.0.1', db.datadir, dest);
    await writer;
    for (const [name, r] of steps) assert.equal(r.exitCode, 0, `${name} failed: ${r.stderr}`);
    const details = steps[0]?.[1].stdout.split('\n') ?? [];
    assert.deepEqual(details.slice(0, 4), ['device=/dev/null', 'snapshot-device=/dev/null', 'device-mount-point=null', 'filesystem-type=null']);
    assert.match(details[4] ?? '', /^relative-copy-dir=;\d+;0;0$/);

    const names = await readdir(dest);
    assert.ok(names.includes('xtrabackup_checkpoints'), `no checkpoints in ${names.join(' ')}`);
    assert.ok(!names.some((n) => n.startsWith('.zrm-incoming')), 'staging directory left behind');
    const log = await readFile(serverLog, 'utf8');
    assert.match(log, /action='copy from'.*outcome=OK.*mariabackup backup/);
    assert.ok(!log.includes(db.backupPassword), 'password in the server log');
    const toolLog = await readFile(join(tmp.path, 'innobackupex.log'), 'utf8');
    assert.match(toolLog, /completed OK!/);

    await execa('mariabackup', ['--prepare', `--target-dir=${dest}`]);
    const source = await tableChecksums(db, 'sbtest');
    await db.sql('FLUSH TABLES');
    const copy = await startMariaDb(join(tmp.path, 'restored'), { datadir: dest, initialise: false });
    try {
      const restored = await tableChecksums(copy, 'sbtest');
      assert.equal(restored.length, TABLES);
      // t0 took writes during the backup; the others must match exactly.
      assert.deepEqual(restored.slice(1), source.slice(1));
      const count = Number(await copy.sql('SELECT COUNT(*) FROM sbtest.t1'));
      assert.equal(count, ROWS);
    } finally {
      await copy.stop();
    }
  });

  test('with nothing armed, copy from sends exactly the named binary log (incremental backups)', async () => {
    const dest = join(tmp.path, 'backups', 'set1', 'incr');
    await mkdir(dest, { recursive: true });
    await db.sql('FLUSH BINARY LOGS');
    const binlog = (await db.sql('SHOW BINARY LOGS')).split('\n')[0]?.split('\t')[0] ?? '';
    const r = await runPlugin(harness.plugins.copy, ['--source-host', '127.0.0.1', '--source-file', join(db.datadir, binlog), '--destination-host', 'localhost', '--destination-directory', dest], harness.env);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await readdir(dest), [binlog]);
    assert.deepEqual(await readFile(join(dest, binlog)), await readFile(join(db.datadir, binlog)));
  });
});
