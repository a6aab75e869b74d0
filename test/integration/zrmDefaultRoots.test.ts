import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';
import { runPlugin, zrmFullBackup } from '../helpers/zrmRun.js';

// Hole 8 of issue 7: with allowed_roots left at `auto`, ZRM's whole call sequence still works
// (full backup through the redirect, then a binary log by plain `copy from`), while the rest of
// the database host is out of reach. The site's ZRM destination is not ZRM's default
// /var/lib/mysql-zrm, so it is added, as the config file says to.
describe('ZRM with the default allowed_roots (auto)', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let site: ZrmSite;
  let backups: string;

  before(async () => {
    tmp = await makeTempDir('zrm-auto-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 1, 2000);
    backups = join(tmp.path, 'backups');
    // The server's my.cnf as the tool sees it (the test server itself runs with --no-defaults).
    const cnf = join(tmp.path, 'my.cnf');
    await writeFile(cnf, `[mysqld]\ndatadir = ${db.datadir}\nlog-bin = mysql-bin\nsocket = ${db.socket}\n`);
    const conf = [
      '[backup]',
      `defaults_file = ${cnf}`,
      `socket = ${db.socket}`,
      `tmp_dir = ${join(tmp.path, 'tmp')}`,
      '[state]',
      `dir = ${join(tmp.path, 'state')}`,
      'max_age = 3600',
      '[server]',
      `allowed_roots = auto ${backups}`,
      '[log]',
      `server_log = ${join(tmp.path, 'socket-server.log')}`,
      `tool_log = ${join(tmp.path, 'innobackupex.log')}`,
      'level = debug',
      '',
    ].join('\n');
    await mkdir(join(tmp.path, 'tmp'));
    site = await startZrmSite(tmp.path, db, { appConfigText: conf });
  });

  after(async () => {
    await site?.xinetd.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('full backup, then a binary log by copy from: every step succeeds', async () => {
    const dest = join(backups, 'set1', '20261129000000');
    await mkdir(dest, { recursive: true });
    const { steps } = await zrmFullBackup(site.harness, '127.0.0.1', db.datadir, dest);
    for (const [name, r] of steps) assert.equal(r.exitCode, 0, `${name} failed: ${r.stderr}`);
    assert.ok((await readdir(dest)).includes('xtrabackup_checkpoints'));

    const incr = join(backups, 'set1', '20261129000100');
    await mkdir(incr, { recursive: true });
    const binlog = (await readdir(db.datadir)).filter((n) => /^mysql-bin\.\d+$/.test(n)).sort()[0] ?? '';
    const copy = site.plugins['socket-copy.palomino.pl'];
    const r = await runPlugin(copy, ['--source-host', '127.0.0.1', '--source-file', join(db.datadir, binlog), '--destination-host', 'localhost', '--destination-directory', incr], site.env);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.deepEqual(await readFile(join(incr, binlog)), await readFile(join(db.datadir, binlog)));
  });

  test('the rest of the host is out of reach', async () => {
    const landed = join(backups, 'stolen');
    await mkdir(landed, { recursive: true });
    const copy = site.plugins['socket-copy.palomino.pl'];
    // (Under /tmp is reachable: it is the database's tmpdir when my.cnf sets none.)
    for (const outside of ['/etc/hostname', '/etc/passwd']) {
      const r = await runPlugin(copy, ['--source-host', '127.0.0.1', '--source-file', outside, '--destination-host', 'localhost', '--destination-directory', landed], site.env);
      assert.notEqual(r.exitCode, 0, outside);
    }
    assert.deepEqual(await readdir(landed), []);
    assert.match(await readFile(site.serverLog, 'utf8'), /outside the allowed roots/);
  });
});
