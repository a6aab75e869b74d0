import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_CONFIG } from '../../../src/config/appConfig.js';
import { checkListener, checkRemoteAgent } from '../../../src/doctor/agent.js';
import { runDoctor } from '../../../src/doctor/doctor.js';
import { checkDirectories } from '../../../src/doctor/dirs.js';
import { checkAccount, globalPrivileges, missingPrivileges, requiredPrivileges } from '../../../src/doctor/grants.js';
import { checkBackupTool, toolMismatch } from '../../../src/doctor/tool.js';
import type { AgentReply, DoctorDeps, ExecResult, FileInfo } from '../../../src/doctor/types.js';
import { checkZrmSets } from '../../../src/doctor/zrmSets.js';
import { parseServerVersion } from '../../../src/doctor/database.js';
import { VERSION } from '../../../src/version.js';

// Each doctor check against a fake host: programs, files and the agent are what the test says.

interface FakeHost {
  programs?: Record<string, (args: readonly string[]) => ExecResult>;
  files?: Record<string, string>;
  stats?: Record<string, FileInfo>;
  users?: Record<string, number>;
  agent?: (host: string, port: number) => AgentReply;
  credentialsFile?: string;
}

function fake(h: FakeHost): DoctorDeps & { calls: string[][] } {
  const calls: string[][] = [];
  return {
    calls,
    config: structuredClone(DEFAULT_CONFIG),
    credentialsFile: h.credentialsFile ?? '',
    zrmDir: '/etc/mysql-zrm',
    async exec(file, args) {
      calls.push([file, ...args]);
      const p = h.programs?.[file];
      return p ? p(args) : { exitCode: 127, stdout: '', stderr: 'not found' };
    },
    stat: async (p) => h.stats?.[p],
    readFile: async (p) => h.files?.[p],
    readdir: async (p) => Object.keys(h.files ?? {}).filter((f) => f.startsWith(`${p}/`)).map((f) => f.slice(p.length + 1).split('/')[0] ?? ''),
    uidOf: async (u) => h.users?.[u],
    async askAgent(host, port) {
      if (!h.agent) throw new Error(`cannot connect to ${host}:${port}: connect ECONNREFUSED`);
      return h.agent(host, port);
    },
  };
}

const ok = (stdout: string, stderr = ''): ExecResult => ({ exitCode: 0, stdout, stderr });
const mariabackup = (v: string) => () => ok('', `mariabackup based on MariaDB server ${v}-MariaDB debian-linux-gnu (x86_64)`);
const mariadb = (grants: string[], version = '10.11.6-MariaDB-0+deb12u1') => (args: readonly string[]) =>
  args[0] === '--version' ? ok('mariadb from 11.x') : ok([version, ...grants].join('\n'));
const GOOD_GRANTS = ["GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO `zrm_backup`@`localhost` IDENTIFIED BY PASSWORD '*X'"];

test('tool vs server: mariabackup major.minor must match MariaDB; xtrabackup 8.0 for MySQL 8.0, 2.4 for 5.7', () => {
  const maria = parseServerVersion('10.11.6-MariaDB') as NonNullable<ReturnType<typeof parseServerVersion>>;
  assert.equal(toolMismatch('mariabackup', '10.11.19', maria), undefined);
  assert.match(String(toolMismatch('mariabackup', '10.6.18', maria)), /major\.minor must match/);
  assert.match(String(toolMismatch('xtrabackup', '8.0.35', maria)), /use mariabackup 10\.11/);
  const mysql8 = parseServerVersion('8.0.36') as NonNullable<ReturnType<typeof parseServerVersion>>;
  assert.equal(toolMismatch('xtrabackup', '8.0.35', mysql8), undefined);
  assert.match(String(toolMismatch('xtrabackup', '2.4.29', mysql8)), /needs xtrabackup 8\.0/);
  assert.match(String(toolMismatch('innobackupex', '2.4.29', mysql8)), /cannot back up MySQL 8\.0/);
  assert.equal(toolMismatch('xtrabackup', '2.4.29', parseServerVersion('5.7.44') as NonNullable<ReturnType<typeof parseServerVersion>>), undefined);
});

test('backup tool check: missing tool fails with the package to install; a mismatched version fails naming both', async () => {
  const missing = await checkBackupTool(fake({}));
  assert.equal(missing.status, 'fail');
  assert.match(String(missing.fix), /mariadb-backup/);
  const mismatched = await checkBackupTool(fake({ programs: { mariabackup: mariabackup('10.6.18'), mariadb: mariadb(GOOD_GRANTS) }, credentialsFile: '/etc/c.cnf' }));
  assert.equal(mismatched.status, 'fail');
  assert.match(mismatched.detail, /10\.6\.18.*10\.11\.6/);
  const good = await checkBackupTool(fake({ programs: { mariabackup: mariabackup('10.11.19'), mariadb: mariadb(GOOD_GRANTS) }, credentialsFile: '/etc/c.cnf' }));
  assert.equal(good.status, 'pass', good.detail);
});

test('privileges: global grants only, ALL PRIVILEGES covers all, MySQL 8 also needs BACKUP_ADMIN', () => {
  const held = globalPrivileges(['GRANT RELOAD, PROCESS ON *.* TO `u`@`%`', 'GRANT LOCK TABLES ON `db`.* TO `u`@`%`']);
  assert.deepEqual([...held].sort(), ['PROCESS', 'RELOAD']);
  assert.deepEqual(missingPrivileges(held, requiredPrivileges(true, 10)), ['LOCK TABLES', 'REPLICATION CLIENT or BINLOG MONITOR or SUPER']);
  assert.deepEqual(missingPrivileges(globalPrivileges(['GRANT ALL PRIVILEGES ON *.* TO `root`@`localhost`']), requiredPrivileges(false, 8)), []);
  const mysql8 = globalPrivileges(['GRANT RELOAD, PROCESS, LOCK TABLES, REPLICATION CLIENT ON *.* TO `u`@`%`']);
  assert.deepEqual(missingPrivileges(mysql8, requiredPrivileges(false, 8)), ['BACKUP_ADMIN']);
});

test('account check: the option file goes first on the client\'s argv, never a password; a missing RELOAD is named with its GRANT', async () => {
  const deps = fake({ programs: { mariadb: mariadb(['GRANT PROCESS, LOCK TABLES, BINLOG MONITOR ON *.* TO `zrm_backup`@`localhost`']) }, credentialsFile: '/etc/c.cnf' });
  const [login, privs] = await checkAccount(deps);
  assert.equal(login?.status, 'pass');
  assert.equal(privs?.status, 'fail');
  assert.match(String(privs?.detail), /lacks RELOAD/);
  assert.match(String(privs?.fix), /^GRANT RELOAD ON \*\.\* TO `zrm_backup`@`localhost`;$/);
  const sql = deps.calls.find((c) => c.includes('-e'));
  assert.equal(sql?.[1], '--defaults-extra-file=/etc/c.cnf');
  assert.ok(!sql?.some((a) => a.startsWith('--password')));
  const denied = await checkAccount(fake({ programs: { mariadb: (a) => (a[0] === '--version' ? ok('') : { exitCode: 1, stdout: '', stderr: "ERROR 1045 (28000): Access denied for user 'x'@'localhost'" }) }, credentialsFile: '/etc/c.cnf' }));
  assert.equal(denied[0]?.status, 'fail');
  assert.match(String(denied[0]?.detail), /Access denied/);
  assert.equal(denied[1]?.status, 'skip');
});

test('listener and remote agent: refused, a 1.8b5 server, an older v2, another version, ours', async () => {
  assert.equal((await checkListener(fake({}))).status, 'fail');
  const legacy = fake({ agent: () => ({ kind: 'legacy', values: new Map() }) });
  assert.equal((await checkListener(legacy)).status, 'fail');
  assert.match(String((await checkRemoteAgent(legacy, 'db1', 25300)).detail), /1\.8b5/);
  const old = fake({ agent: () => ({ kind: 'old-v2', values: new Map(), message: "unknown action 'status'" }) });
  assert.equal((await checkRemoteAgent(old, 'db1', 25300)).status, 'fail');
  const other = fake({ agent: () => ({ kind: 'status', values: new Map([['version', '1.0.0']]) }) });
  assert.match(String((await checkRemoteAgent(other, 'db1', 25300)).detail), /1\.0\.0, this host/);
  const same = fake({ agent: () => ({ kind: 'status', values: new Map([['version', VERSION], ['tool', 'mariabackup']]) }) });
  assert.equal((await checkRemoteAgent(same, 'db1', 25300)).status, 'pass');
  assert.equal((await checkListener(same)).status, 'pass');
});

test('directories: owned by the user of the xinetd service, state private', async () => {
  const files = { '/etc/xinetd.d/mysql-zrm-innobackupex': 'service x\n{\n\tuser\t\t= backupd\n}\n' };
  const deps = fake({
    files,
    users: { backupd: 500 },
    stats: {
      '/var/lib/mysql-zrm-innobackupex': { uid: 500, mode: 0o40755, isDirectory: true },
      '/var/log/socket-server.log': { uid: 0, mode: 0o100640, isDirectory: false },
      '/var/log': { uid: 0, mode: 0o40755, isDirectory: true },
    },
  });
  const [state, serverLog, toolLog] = await checkDirectories(deps);
  assert.equal(state?.status, 'fail');
  assert.match(String(state?.fix), /chmod 0700/);
  assert.equal(serverLog?.status, 'fail');
  assert.equal(serverLog?.fix, 'chown backupd /var/log/socket-server.log');
  assert.equal(toolLog?.status, 'fail', 'missing, and backupd cannot create it in /var/log');
});

test('ZRM sets: ours pass; the Perl plugins, another path or none fail with the lines to write; logical sets are skipped', async () => {
  const deps = fake({
    files: {
      '/etc/mysql-zrm/good/mysql-zrm.conf': 'snapshot-plugin=/usr/share/mysql-zrm/plugins/inno-snapshot.pl\ncopy-plugin=/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl\n',
      '/etc/mysql-zrm/perl/mysql-zrm.conf': 'snapshot-plugin=/opt/old/inno-snapshot.pl\ncopy-plugin=/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl\n',
      '/etc/mysql-zrm/none/mysql-zrm.conf': '# raw by default\nhost=db1\n',
      '/etc/mysql-zrm/dump/mysql-zrm.conf': 'backup-mode=logical\n',
      '/usr/share/mysql-zrm/plugins/inno-snapshot.pl': '#!/bin/sh\nexec node ...\n',
      '/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl': '#!/bin/sh\nexec node ...\n',
      '/opt/old/inno-snapshot.pl': '#!/usr/bin/perl\n',
    },
    stats: Object.fromEntries(['/usr/share/mysql-zrm/plugins/inno-snapshot.pl', '/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl', '/opt/old/inno-snapshot.pl'].map((p) => [p, { uid: 0, mode: 0o100755, isDirectory: false }])),
  });
  const r = await checkZrmSets(deps);
  assert.deepEqual(r.map((x) => [x.name, x.status]), [['ZRM set dump', 'skip'], ['ZRM set good', 'pass'], ['ZRM set none', 'fail'], ['ZRM set perl', 'fail']]);
  assert.match(String(r[3]?.detail), /1\.8b5 Perl plugin/);
  assert.match(String(r[2]?.fix), /snapshot-plugin=\/usr\/share\/mysql-zrm\/plugins\/inno-snapshot\.pl, copy-plugin=/);
});

test('runDoctor --host: only the backup host\'s checks (agent, ZRM sets)', async () => {
  const r = await runDoctor({ host: 'db1' }, fake({ agent: () => ({ kind: 'status', values: new Map([['version', VERSION]]) }) }));
  assert.deepEqual(r.map((x) => x.name), ['agent on db1:25300']);
});
