import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAppConfig } from '../../../src/config/appConfig.js';
import { parseServerOptions, rootsFromOptions, serverOptionsFromCnf, withDatabaseRoots, ZRM_BACKUP_DIR } from '../../../src/config/databaseRoots.js';
import { makeTempDir } from '../../helpers/tempDir.js';
import { V2_VERSION, header, serve, withServerEnv } from '../server/harness.js';

// Hole 8 of issue 7: by default the server reaches what the database needs, not '/'.

const MY_CNF = [
  '[client]',
  'password = not-a-root',
  'socket = /elsewhere/sock',
  '[mysqld]',
  'datadir = /srv/db/data',
  'log-bin = /srv/db/binlog/mysql-bin',
  'relay_log = relay-bin',
  'innodb_log_group_home_dir = /srv/db/redo',
  'tmpdir = /srv/tmp1:/srv/tmp2',
  '[mysqldump]',
  'tmpdir = /not/the/server',
  '[mariadb]',
  'log_bin_index = /srv/db/binidx/mysql-bin.index',
  '',
].join('\n');

const EXPECTED = ['/srv/db/data', '/srv/db/binlog', '/srv/db/binidx', '/srv/db/redo', '/srv/tmp1', '/srv/tmp2', ZRM_BACKUP_DIR];

test('allowed_roots defaults to auto; `/` and explicit lists stay available', () => {
  const d = parseAppConfig('');
  assert.equal(d.server.allowedRootsAuto, true);
  assert.deepEqual(d.server.allowedRoots, []);
  const all = parseAppConfig('[server]\nallowed_roots = /\n');
  assert.deepEqual([all.server.allowedRoots, all.server.allowedRootsAuto], [['/'], false]);
  const mixed = parseAppConfig('[server]\nallowed_roots = auto /srv/extra\n');
  assert.deepEqual([mixed.server.allowedRoots, mixed.server.allowedRootsAuto], [['/srv/extra'], true]);
});

test('auto: datadir, log, InnoDB and tmp dirs of the server groups of my.cnf (via my_print_defaults), plus ZRM\'s dir', async () => {
  const tmp = await makeTempDir();
  try {
    const cnf = join(tmp.path, 'my.cnf');
    await writeFile(cnf, MY_CNF);
    const config = await withDatabaseRoots(parseAppConfig(`[backup]\ndefaults_file = ${cnf}\n[server]\nallowed_roots = auto /srv/extra\n`));
    assert.deepEqual(config.server.allowedRoots, [...EXPECTED, '/srv/extra']);
  } finally {
    await tmp.cleanup();
  }
});

test('auto without settings: the compiled-in defaults; [backup] datadir wins over my.cnf', async () => {
  const tmp = await makeTempDir();
  try {
    const empty = join(tmp.path, 'empty.cnf');
    await writeFile(empty, '');
    const d = await withDatabaseRoots(parseAppConfig(`[backup]\ndefaults_file = ${empty}\n`));
    assert.deepEqual(d.server.allowedRoots, ['/var/lib/mysql', '/tmp', ZRM_BACKUP_DIR]);
    const cnf = join(tmp.path, 'my.cnf');
    await writeFile(cnf, MY_CNF);
    const own = await withDatabaseRoots(parseAppConfig(`[backup]\ndefaults_file = ${cnf}\ndatadir = /data/own\n`));
    assert.equal(own.server.allowedRoots[0], '/data/own');
    assert.ok(own.server.allowedRoots.includes('/data/own'), 'relative relay-log is inside the datadir in use');
    assert.ok(!own.server.allowedRoots.includes('/srv/db/data'));
  } finally {
    await tmp.cleanup();
  }
});

test('without my_print_defaults the one file is read the same way', () => {
  assert.deepEqual(rootsFromOptions(parseServerOptions(serverOptionsFromCnf(MY_CNF)), ''), EXPECTED);
});

test('log-bin without a value, or a relative one, lives in the datadir', () => {
  assert.deepEqual(rootsFromOptions(parseServerOptions(['--datadir=/d', '--log-bin', '--relay-log=sub/relay']), ''), ['/d', '/d/sub', '/tmp', ZRM_BACKUP_DIR]);
});

test('with auto roots the server serves the datadir and refuses the rest of the host', () =>
  withServerEnv(async (env) => {
    const datadir = join(env.root, 'datadir');
    await mkdir(datadir);
    await writeFile(join(datadir, 'mysql-bin.000001'), 'binlog');
    const cnf = join(env.root, 'my.cnf');
    await writeFile(cnf, `[mysqld]\ndatadir = ${datadir}\nlog-bin = mysql-bin\ntmpdir = ${env.tmp}\n`);
    const config = await withDatabaseRoots(
      parseAppConfig(`[backup]\ndefaults_file = ${cnf}\ntmp_dir = ${env.tmp}\n[state]\ndir = ${env.state}\n`),
    );
    const served = { ...env, config };
    const ok = await serve(served, [header(V2_VERSION, 'copy from', join(datadir, 'mysql-bin.000001'), env.tmp)]);
    assert.equal(ok.status, 0, ok.log);
    for (const outside of ['/etc/hostname', join(env.root, 'server-1.log')]) {
      const r = await serve(served, [header(V2_VERSION, 'copy from', outside, env.tmp)]);
      assert.equal(r.status, 1, outside);
      assert.match(r.output.toString(), /^ERROR .*outside the allowed roots/, outside);
    }
  }));
