import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_ENV, DEFAULT_CONFIG, DEFAULT_CONFIG_PATH, loadAppConfig, parseAppConfig } from '../../../src/config/appConfig.js';
import { ExitCode, ExitError } from '../../../src/errors.js';
import { makeTempDir } from '../../helpers/tempDir.js';

const configError = (re: RegExp) => (err: unknown) =>
  err instanceof ExitError && err.exitCode === ExitCode.config && re.test(err.message);

async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const tmp = await makeTempDir('zrm-config-');
  try {
    await fn(tmp.path);
  } finally {
    await tmp.cleanup();
  }
}

test('an empty file gives every default', () => {
  assert.deepEqual(parseAppConfig(''), DEFAULT_CONFIG);
  assert.deepEqual(parseAppConfig('; only a comment\n\n[backup]\n'), DEFAULT_CONFIG);
});

test('every key is read, trimmed and converted', () => {
  const c = parseAppConfig(
    [
      '[backup]',
      'tool = xtrabackup',
      'tool_path = /opt/xb/bin/xtrabackup',
      'defaults_file = /etc/mysql/my.cnf',
      'socket = /run/mysqld/mysqld.sock',
      'host = db1',
      'port = 3307',
      'datadir = /var/lib/mysql',
      'extra_options =   --slave-info  --parallel=4 ',
      'extra_lsndir = /var/lib/lsn',
      'tmp_dir = /srv/tmp',
      '[state]',
      'dir = /run/zrm',
      'max_age = 60',
      '[server]',
      'port = 25301',
      'allowed_roots = /a, /b:/c  /d',
      'plugin_dir = /opt/plugins',
      'accept_legacy = OFF',
      'idle_timeout = 5',
      'stall_timeout = 9',
      '[client]',
      'protocol = legacy',
      'connect_timeout = 7',
      'idle_timeout = 8',
      '[log]',
      'server_log = /l/s.log',
      'tool_log = /l/t.log',
      'level = debug',
    ].join('\n'),
  );
  assert.deepEqual(c, {
    backup: {
      tool: 'xtrabackup',
      toolPath: '/opt/xb/bin/xtrabackup',
      defaultsFile: '/etc/mysql/my.cnf',
      socket: '/run/mysqld/mysqld.sock',
      host: 'db1',
      port: 3307,
      datadir: '/var/lib/mysql',
      extraOptions: ['--slave-info', '--parallel=4'],
      extraLsndir: '/var/lib/lsn',
      tmpDir: '/srv/tmp',
    },
    state: { dir: '/run/zrm', maxAge: 60, dirConfigured: true },
    server: { port: 25301, allowedRoots: ['/a', '/b', '/c', '/d'], pluginDir: '/opt/plugins', acceptLegacy: false, idleTimeout: 5, stallTimeout: 9 },
    client: { protocol: 'legacy', connectTimeout: 7, idleTimeout: 8 },
    log: { serverLog: '/l/s.log', toolLog: '/l/t.log', level: 'debug' },
  });
});

test('state.dirConfigured says whether [state] dir was set (the default may be replaced by a fallback)', () => {
  assert.equal(parseAppConfig('').state.dirConfigured, false);
  assert.equal(parseAppConfig('[state]\nmax_age = 5').state.dirConfigured, false);
  assert.equal(parseAppConfig('[state]\ndir = /var/lib/mysql-zrm-innobackupex').state.dirConfigured, true);
});

test('booleans: true/yes/1/on and false/no/0/off, any case', () => {
  for (const v of ['true', 'YES', '1', 'On']) assert.equal(parseAppConfig(`[server]\naccept_legacy=${v}`).server.acceptLegacy, true, v);
  for (const v of ['false', 'No', '0', 'OFF']) assert.equal(parseAppConfig(`[server]\naccept_legacy=${v}`).server.acceptLegacy, false, v);
});

test('an empty backup port means "not given"; the optional paths may be empty', () => {
  const c = parseAppConfig('[backup]\nport =\ntool_path =\nsocket =\n');
  assert.equal(c.backup.port, undefined);
  assert.equal(c.backup.toolPath, '');
  assert.equal(c.backup.socket, '');
});

const INVALID: Array<[string, RegExp]> = [
  ['[backup]\ntool = xtrabackup8', /tool must be one of mariabackup, xtrabackup, innobackupex, got 'xtrabackup8'/],
  ['[backup]\ntool_path = bin/mariabackup', /tool_path must be an absolute path/],
  ['[backup]\ndefaults_file = my.cnf', /defaults_file must be an absolute path/],
  ['[backup]\nsocket = mysqld.sock', /socket must be an absolute path/],
  ['[backup]\ndatadir = data', /datadir must be an absolute path/],
  ['[backup]\nextra_lsndir = lsn', /extra_lsndir must be an absolute path/],
  ['[backup]\ntmp_dir =', /tmp_dir must be an absolute path, got ''/],
  ['[backup]\ntmp_dir = tmp', /tmp_dir must be an absolute path/],
  ['[backup]\nport = 33o6', /port must be a whole number, got '33o6'/],
  ['[backup]\nport = 0', /port must be between 1 and 65535/],
  ['[backup]\nport = 65536', /port must be between 1 and 65535/],
  ['[backup]\nport = -1', /port must be a whole number/],
  ['[state]\ndir =', /dir must be an absolute path/],
  ['[state]\ndir = state', /dir must be an absolute path/],
  ['[state]\nmax_age = 0', /max_age must be between 1 and 604800/],
  ['[state]\nmax_age = 604801', /max_age must be between 1 and 604800/],
  ['[state]\nmax_age = 1.5', /max_age must be a whole number/],
  ['[server]\nport = 99999', /port must be between 1 and 65535/],
  ['[server]\nallowed_roots = /srv relative', /allowed_roots entry 'relative' is not absolute/],
  ['[server]\nallowed_roots = ,', /allowed_roots is empty/],
  ['[server]\nplugin_dir = plugins', /plugin_dir must be an absolute path/],
  ['[server]\naccept_legacy = maybe', /accept_legacy must be true or false, got 'maybe'/],
  ['[server]\nidle_timeout = 86401', /idle_timeout must be between 1 and 86400/],
  ['[client]\nprotocol = v3', /protocol must be one of auto, v2, legacy, got 'v3'/],
  ['[client]\nconnect_timeout = 0', /connect_timeout must be between 1 and 3600/],
  ['[client]\nidle_timeout = x', /idle_timeout must be a whole number/],
  ['[log]\nserver_log = socket-server.log', /server_log must be an absolute path/],
  ['[log]\ntool_log =', /tool_log must be an absolute path/],
  ['[log]\nlevel = trace', /level must be one of error, warn, info, debug, got 'trace'/],
  ['[backup]\ntool[] = mariabackup', /tool must be a single value/],
];

for (const [text, re] of INVALID) {
  test(`refused: ${text.replace(/\n/g, ' ')}`, () => {
    assert.throws(() => parseAppConfig(text), configError(re));
  });
}

test('loadAppConfig: an explicit path wins over $ZRM_INNOBACKUPEX_CONF', () =>
  withTemp(async (dir) => {
    await writeFile(join(dir, 'explicit.conf'), '[server]\nport = 1111\n');
    await writeFile(join(dir, 'env.conf'), '[server]\nport = 2222\n');
    const env = { [CONFIG_ENV]: join(dir, 'env.conf') };
    assert.equal(loadAppConfig(join(dir, 'explicit.conf'), env).server.port, 1111);
    assert.equal(loadAppConfig(undefined, env).server.port, 2222);
  }));

test('loadAppConfig: without a name it reads the default path; a missing default file means defaults', () => {
  // Both branches assert something real: this machine may or may not have the package installed.
  const got = loadAppConfig(undefined, {});
  if (existsSync(DEFAULT_CONFIG_PATH)) assert.deepEqual(got, loadAppConfig(DEFAULT_CONFIG_PATH, {}));
  else if (!existsSync(`${DEFAULT_CONFIG_PATH}.d`)) assert.deepEqual(got, DEFAULT_CONFIG);
});

test('loadAppConfig: a missing file that was named is an error, by --config or by the environment', () =>
  withTemp(async (dir) => {
    const missing = join(dir, 'nope.conf');
    assert.throws(() => loadAppConfig(missing, {}), configError(/cannot read config .*nope\.conf/));
    assert.throws(() => loadAppConfig(undefined, { [CONFIG_ENV]: missing }), configError(/cannot read config .*nope\.conf/));
  }));

test('loadAppConfig: a bad value is reported with the file name', () =>
  withTemp(async (dir) => {
    const file = join(dir, 'bad.conf');
    await writeFile(file, '[client]\nprotocol = v9\n');
    assert.throws(() => loadAppConfig(file, {}), configError(new RegExp(`^${file}: config: protocol must be one of`)));
  }));

test('loadAppConfig: drop-ins <file>.d/*.conf apply in lexical order, key by key', () =>
  withTemp(async (dir) => {
    const file = join(dir, 'innobackupex.conf');
    await writeFile(file, '[backup]\ntool = xtrabackup\nhost = main\n[server]\nport = 1000\nidle_timeout = 10\n');
    await mkdir(`${file}.d`);
    await writeFile(join(`${file}.d`, '20-b.conf'), '[server]\nport = 2000\n[client]\nprotocol = v2\n');
    await writeFile(join(`${file}.d`, '10-a.conf'), '[server]\nport = 3000\nidle_timeout = 30\n');
    await writeFile(join(`${file}.d`, '30-ignored.conf.dpkg-old'), '[server]\nport = 4000\n');
    await writeFile(join(`${file}.d`, '.40-hidden.conf'), '[server]\nport = 5000\n');
    const c = loadAppConfig(file, {});
    assert.equal(c.server.port, 2000, '20-b.conf comes after 10-a.conf; other names are ignored');
    assert.equal(c.server.idleTimeout, 30, 'a key a later drop-in does not set is kept');
    assert.equal(c.backup.tool, 'xtrabackup', 'keys of the main file that no drop-in sets stay');
    assert.equal(c.backup.host, 'main');
    assert.equal(c.client.protocol, 'v2', 'a drop-in can add a section');
  }));

test('loadAppConfig: drop-ins are validated too', () =>
  withTemp(async (dir) => {
    const file = join(dir, 'innobackupex.conf');
    await writeFile(file, '');
    await mkdir(`${file}.d`);
    await writeFile(join(`${file}.d`, '50-bad.conf'), '[log]\nlevel = loud\n');
    assert.throws(() => loadAppConfig(file, {}), configError(/50-bad\.conf: .*level must be one of/));
  }));
