import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG, type AppConfig } from '../../../src/config/appConfig.js';
import { buildToolArgv } from '../../../src/backupTool/argv.js';
import { ExitError } from '../../../src/errors.js';

const paths = { optionFile: '/var/tmp/zrm-backup-x/cnf-y/credentials.cnf', targetDir: '/var/tmp/zrm-backup-x/target' };

function cfg(over: Partial<AppConfig['backup']> = {}): AppConfig['backup'] {
  return { ...structuredClone(DEFAULT_CONFIG.backup), ...over };
}

test('mariabackup: option file first, then backup, xbstream and target dir', () => {
  const r = buildToolArgv(cfg(), paths);
  assert.equal(r.command, '/usr/bin/mariabackup');
  assert.equal(r.format, 'xbstream');
  assert.deepEqual(r.args, [
    `--defaults-extra-file=${paths.optionFile}`, '--backup', '--stream=xbstream', `--target-dir=${paths.targetDir}`,
  ]);
});

test('mariabackup with every connection setting, lsn dir and extra options, in order', () => {
  const r = buildToolArgv(
    cfg({ datadir: '/srv/db', socket: '/run/my.sock', host: '10.0.0.5', port: 3307, extraOptions: ['--parallel=4', '--slave-info'] }),
    { ...paths, extraLsndir: '/var/lib/zrm/lsn' },
  );
  assert.deepEqual(r.args, [
    `--defaults-extra-file=${paths.optionFile}`, '--backup', '--stream=xbstream', `--target-dir=${paths.targetDir}`,
    '--datadir=/srv/db', '--socket=/run/my.sock', '--host=10.0.0.5', '--port=3307',
    '--extra-lsndir=/var/lib/zrm/lsn', '--parallel=4', '--slave-info',
  ]);
});

test('a configured defaults file makes our option file the --defaults-file (it !includes theirs)', () => {
  const r = buildToolArgv(cfg({ defaultsFile: '/etc/mysql/my.cnf' }), paths);
  assert.equal(r.args[0], `--defaults-file=${paths.optionFile}`);
  assert.ok(!r.args.some((a) => a.startsWith('--defaults-extra-file')), 'mariabackup refuses a second --defaults-* option');
  assert.ok(!r.args.includes('--defaults-file=/etc/mysql/my.cnf'));
});

test('xtrabackup 8 is run like mariabackup, from its own path', () => {
  const r = buildToolArgv(cfg({ tool: 'xtrabackup', socket: '/s.sock' }), paths);
  assert.equal(r.command, '/usr/bin/xtrabackup');
  assert.equal(r.format, 'xbstream');
  assert.deepEqual(r.args, [
    `--defaults-extra-file=${paths.optionFile}`, '--backup', '--stream=xbstream', `--target-dir=${paths.targetDir}`, '--socket=/s.sock',
  ]);
});

test('innobackupex streams tar, takes the directory last and gets no --datadir', () => {
  const r = buildToolArgv(
    cfg({ tool: 'innobackupex', toolPath: '/usr/bin/innobackupex-1.5.1', datadir: '/srv/db', socket: '/s.sock', port: 3306, extraOptions: ['--slave-info'] }),
    { ...paths, extraLsndir: '/lsn' },
  );
  assert.equal(r.command, '/usr/bin/innobackupex-1.5.1');
  assert.equal(r.format, 'tar');
  assert.deepEqual(r.args, [
    `--defaults-extra-file=${paths.optionFile}`, '--socket=/s.sock', '--port=3306', '--stream=tar', '--extra-lsndir=/lsn', '--slave-info', paths.targetDir,
  ]);
});

test('tool_path wins over /usr/bin/<tool>', () => {
  assert.equal(buildToolArgv(cfg({ toolPath: '/opt/mariadb/bin/mariabackup' }), paths).command, '/opt/mariadb/bin/mariabackup');
});

test('no password ever reaches argv, and extra_options cannot smuggle one in', () => {
  for (const bad of ['--password=x', '--password', '-psecret', '--defaults-file=/x', '--defaults-extra-file=/x', '--no-defaults', '--stream=tar', '--target-dir=/x']) {
    assert.throws(() => buildToolArgv(cfg({ extraOptions: [bad] }), paths), ExitError, bad);
  }
  const r = buildToolArgv(cfg({ extraOptions: ['--parallel=2'] }), paths);
  assert.ok(!r.args.some((a) => /pass/i.test(a)));
});
