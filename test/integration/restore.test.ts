import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, tableChecksums, type MariaDb } from '../helpers/mariadb.js';
import { MAIN_JS } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';
import { runPlugin, writeZrmConf, zrmFullBackup } from '../helpers/zrmRun.js';

// The road back, all real: a backup taken in ZRM's call order through xinetd and mariabackup,
// restored with `zrm-innobackupex restore` into a fresh server, compared table by table.

function cli(args: string[], env: Record<string, string>) {
  return execa(process.execPath, [MAIN_JS, ...args], { env, reject: false, stdin: 'ignore' });
}

async function checksumsOfRestored(dir: string, datadir: string): Promise<string[]> {
  const copy = await startMariaDb(dir, { datadir, initialise: false });
  try {
    return await tableChecksums(copy, 'sbtest');
  } finally {
    await copy.stop();
  }
}

describe('restore of a backup taken through the plugins', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let site: ZrmSite;
  let source: string[];
  const dest = () => join(tmp.path, 'backups', 'set1', '20261129000000');

  before(async () => {
    tmp = await makeTempDir('zrm-restore-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 3, 2000);
    site = await startZrmSite(tmp.path, db);
    await mkdir(dest(), { recursive: true });
    const { steps } = await zrmFullBackup(site.harness, '127.0.0.1', db.datadir, dest());
    for (const [name, r] of steps) assert.equal(r.exitCode, 0, `${name} failed: ${r.stderr}`);
    await db.sql('FLUSH TABLES');
    source = await tableChecksums(db, 'sbtest');
  });

  after(async () => {
    await site?.xinetd.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('the landed backup carries zrm-innobackupex.json: tool, versions, LSNs, bytes, sha256', async () => {
    const meta = JSON.parse(await readFile(join(dest(), 'zrm-innobackupex.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(meta.tool, 'mariabackup');
    assert.match(String(meta.toolVersion), /^\d+\.\d+\.\d+/);
    assert.match(String(meta.serverVersion), /MariaDB/);
    const cp = meta.checkpoints as { backupType: string; toLsn: number };
    assert.equal(cp.backupType, 'full-backuped');
    assert.ok(cp.toLsn > 0);
    const stream = meta.stream as { bytes: number; sha256: string; format: string };
    assert.ok(stream.bytes > 1_000_000, `bytes ${stream.bytes}`);
    assert.match(stream.sha256, /^[0-9a-f]{64}$/);
    assert.equal(meta.prepared, undefined, 'prepared although [client] prepare is off');
  });

  test('restore refuses a non-empty datadir and a running server', async () => {
    const full = join(tmp.path, 'full');
    await mkdir(full);
    await writeFile(join(full, 'ibdata1'), 'someone else\'s');
    let r = await cli(['restore', dest(), '--datadir', full], site.env);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /is not empty/);
    assert.equal(await readFile(join(full, 'ibdata1'), 'utf8'), 'someone else\'s');
    r = await cli(['restore', dest(), '--datadir', join(tmp.path, 'empty'), '--socket', db.socket], site.env);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /answers on/);
  });

  test('restore of the ZRM backup directory into a fresh server gives the same tables', async () => {
    const datadir = join(tmp.path, 'restored1', 'data');
    const r = await cli(['restore', join(tmp.path, 'backups', 'set1'), '--datadir', datadir], site.env);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /Next: /);
    const mysqlUid = Number((await execa('id', ['-u', 'mysql'])).stdout);
    assert.equal((await stat(join(datadir, 'ibdata1'))).uid, mysqlUid);
    assert.ok(!(await readdir(datadir)).includes('zrm-innobackupex.json'));
    assert.deepEqual(await checksumsOfRestored(join(tmp.path, 'restored1'), datadir), source);
  });

  test('restore of ZRM\'s compressed layout (backup-data beside index) gives the same tables', async () => {
    const zrmDir = join(tmp.path, 'backups', 'set2', '20261129010000');
    await mkdir(zrmDir, { recursive: true });
    await execa('tar', ['-czf', join(zrmDir, 'backup-data'), '-C', dest(), '.']);
    await writeFile(join(zrmDir, 'index'), 'backup-level=0\nbackup-status=Backup succeeded\ncompress=/bin/gzip\n');
    const datadir = join(tmp.path, 'restored2', 'data');
    const r = await cli(['restore', zrmDir, '--datadir', datadir, '--move-back', '--owner', 'root'], site.env);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual((await readdir(join(tmp.path, 'restored2'))).filter((n) => n.startsWith('.zrm-restore-')), [], 'unpacked copy left behind');
    assert.deepEqual(await checksumsOfRestored(join(tmp.path, 'restored2'), datadir), source);
  });

  test('innobackupex-prepare=yes in the backup set prepares on landing; prepare DIR then has nothing to do', async () => {
    const conf = join(tmp.path, 'zrm-prepare.conf');
    await writeZrmConf(conf, { ...Object.fromEntries((await readFile(site.harness.conf, 'utf8')).trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)])), 'innobackupex-prepare': 'yes' });
    const env = { ...site.env, ZRM_CONF: conf };
    const dest3 = join(tmp.path, 'backups', 'set3', '20261129020000');
    await mkdir(dest3, { recursive: true });
    // Armed, copied, disarmed: the part of ZRM's sequence that lands a hot backup.
    const snap = (args: string[]) => runPlugin(site.harness.plugins.snapshot, [...args, '--host', '127.0.0.1'], env);
    assert.equal((await snap(['--action', 'mount', '--dev', '/dev/null', '--directory', '/tmp/zrm-innosnap', '--fstype', 'null'])).exitCode, 0);
    const copied = await runPlugin(site.harness.plugins.copy, ['--source-host', '127.0.0.1', '--source-file', `${dest3}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', dest3], env);
    assert.equal((await snap(['--action', 'umount', '--directory', '/tmp/zrm-innosnap'])).exitCode, 0);
    assert.equal(copied.exitCode, 0, copied.stderr);
    const meta = JSON.parse(await readFile(join(dest3, 'zrm-innobackupex.json'), 'utf8')) as { prepared?: { tool: string }; checkpoints: { backupType: string } };
    assert.equal(meta.prepared?.tool, 'mariabackup');
    assert.match(await readFile(join(dest3, 'xtrabackup_checkpoints'), 'utf8'), /backup_type = (log-applied|full-prepared)/);
    const r = await cli(['prepare', dest3], env);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /already prepared/);
  });
});
