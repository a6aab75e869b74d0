import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { startMariaDb, writeBackupOptionFile, type MariaDb } from '../helpers/mariadb.js';
import { MAIN_JS, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';

// `zrm-innobackupex doctor` on a real database host: MariaDB, mariabackup, our server under
// xinetd; one account with what mariabackup needs, one without RELOAD.

interface Report {
  ok: boolean;
  checks: Array<{ name: string; status: string; detail: string; fix?: string }>;
}

describe('doctor on a real database host', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let site: ZrmSite;
  let conf: string;
  let good: string;
  let noReload: string;

  const doctor = (args: string[]) =>
    execa(process.execPath, [MAIN_JS, 'doctor', '-c', conf, ...args], { reject: false, stdin: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });

  before(async () => {
    tmp = await makeTempDir('zrm-doctor-');
    db = await startMariaDb(join(tmp.path, 'db'));
    site = await startZrmSite(tmp.path, db);
    // This host's settings as the package lays them down, the server's user (mysql) owning its
    // state and logs.
    const dir = join(tmp.path, 'host');
    await mkdir(dir);
    conf = join(dir, 'innobackupex.conf');
    await writeAppConfig(conf, { dir, socket: db.socket, extra: `[server]\nport = ${site.xinetd.port}\n` });
    await mkdir(join(dir, 'state'), { mode: 0o700 });
    await writeFile(join(dir, 'socket-server.log'), '');
    await writeFile(join(dir, 'innobackupex.log'), '');
    await execa('chown', ['mysql', join(dir, 'state'), join(dir, 'socket-server.log'), join(dir, 'innobackupex.log')]);
    good = join(tmp.path, 'good.cnf');
    await writeBackupOptionFile(db, good);
    await db.sql("CREATE USER 'no_reload'@'localhost' IDENTIFIED BY 'pw'; GRANT PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO 'no_reload'@'localhost';");
    noReload = join(tmp.path, 'no-reload.cnf');
    await writeFile(noReload, '[client]\nuser=no_reload\npassword=pw\n', { mode: 0o600 });
  });

  after(async () => {
    await site?.xinetd.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('a good account: every check passes, exit 0', async () => {
    const r = await doctor(['--credentials', good, '--json']);
    const report = JSON.parse(r.stdout) as Report;
    assert.equal(r.exitCode, 0, r.stdout);
    assert.ok(report.ok);
    const names = report.checks.map((c) => c.name);
    for (const n of ['backup tool', 'database account', 'privileges', 'socket server', 'state directory', 'server log', 'tool log']) assert.ok(names.includes(n), n);
    assert.ok(report.checks.every((c) => c.status === 'pass'), r.stdout);
  });

  test('an account without RELOAD: doctor fails naming RELOAD and the GRANT that fixes it', async () => {
    const r = await doctor(['--credentials', noReload]);
    assert.equal(r.exitCode, 1, r.stdout);
    assert.match(r.stdout, /^FAIL {2}privileges .*lacks RELOAD$/m);
    assert.match(r.stdout, /fix: GRANT RELOAD ON \*\.\* TO `no_reload`@`localhost`;/);
    assert.match(r.stdout, /^PASS {2}database account /m);
  });

  test('--host: the agent answers a v2 status request with our version', async () => {
    const r = await doctor(['--host', '127.0.0.1', '--port', String(site.xinetd.port)]);
    assert.equal(r.exitCode, 0, r.stdout);
    assert.match(r.stdout, /^PASS {2}agent on 127\.0\.0\.1:\d+ +zrm-innobackupex /m);
  });
});
