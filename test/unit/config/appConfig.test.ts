import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { CONFIG_ENV, DEFAULT_CONFIG, loadAppConfig, parseAppConfig, readAppConfig } from '../../../src/config/appConfig.js';
import { ConfigError, ConfigReadError } from '../../../src/config/configError.js';
import { ExitCode, ExitError } from '../../../src/errors.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { runtimeHas } from '../../../src/protocol/compression.js';

const configError = (re: RegExp) => (err: unknown) =>
  err instanceof ExitError && err.exitCode === ExitCode.config && re.test(err.message);

const withTemp = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('zrm-config-', fn);

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
      'credentials_file = /etc/mysql/zrm-backup.cnf',
      '[state]',
      'dir = /run/zrm',
      'max_age = 60',
      '[server]',
      'port = 25301',
      'allowed_roots = /a, /b:/c  /d',
      'plugin_dir = /opt/plugins',
      'accept_legacy = OFF',
      'idle_timeout = 5',
      'header_timeout = 9',
      'allowed_clients = 10.0.0.0/8, fd00::/8',
      'request_timeout = 99',
      'copy_between_hosts = db2, db3 10.0.0.4',
      'snapshot_plugin = /opt/snap.pl',
      'stall_timeout = 9',
      'max_v2_version = 2.1',
      'compression = no',
      '[client]',
      'protocol = legacy',
      'compression = gzip:6, gzip',
      'connect_timeout = 7',
      'idle_timeout = 8',
      'stall_timeout = 11',
      'prepare = yes',
      'max_file_size = 512G',
      '[log]',
      'server_log = /l/s.log',
      'tool_log = /l/t.log',
      'level = debug',
      '[auth]',
      'secret_file = /etc/mysql-zrm/secret',
      '[tls]',
      'cert = /etc/mysql-zrm/tls/host.crt',
      'key = /etc/mysql-zrm/tls/host.key',
      'ca = /etc/mysql-zrm/tls/ca.crt',
      'server_name = db1.example',
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
      credentialsFile: '/etc/mysql/zrm-backup.cnf',
    },
    state: { dir: '/run/zrm', maxAge: 60, dirConfigured: true },
    server: { port: 25301, allowedRoots: ['/a', '/b', '/c', '/d'], allowedRootsAuto: false, pluginDir: '/opt/plugins', acceptLegacy: false, idleTimeout: 5, headerTimeout: 9, allowedClients: ['10.0.0.0/8', 'fd00::/8'], requestTimeout: 99, copyBetweenHosts: ['db2', 'db3', '10.0.0.4'], snapshotPlugin: '/opt/snap.pl', stallTimeout: 9, maxV2Version: '2.1', compression: false },
    client: {
      protocol: 'legacy',
      compression: [{ codec: 'gzip', level: 6, token: 'gzip:6' }, { codec: 'gzip', level: 1, token: 'gzip:1' }],
      connectTimeout: 7, idleTimeout: 8, stallTimeout: 11, prepare: true, maxFileSize: 512n * 1024n ** 3n,
    },
    log: { serverLog: '/l/s.log', toolLog: '/l/t.log', level: 'debug' },
    auth: { secretFile: '/etc/mysql-zrm/secret' },
    tls: { cert: '/etc/mysql-zrm/tls/host.crt', key: '/etc/mysql-zrm/tls/host.key', ca: '/etc/mysql-zrm/tls/ca.crt', serverName: 'db1.example' },
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
  ['[client]\ncompression = gzip:10', /compression 'gzip:10' is not an encoding: use off, gzip, gzip:1..gzip:9, zstd or zstd:1..zstd:19/],
  ['[client]\ncompression = lz4', /compression 'lz4' is not an encoding/],
  ['[client]\ncompression =', /compression must be off or encodings/],
  ['[client]\ncompression = off gzip', /compression 'off' is not an encoding/],
  ['[server]\ncompression = gzip', /compression must be true or false/],
  ['[server]\nmax_v2_version = 2.3', /max_v2_version must be one of 2\.0, 2\.1, 2\.2/],
  ['[client]\nconnect_timeout = 0', /connect_timeout must be between 1 and 3600/],
  ['[client]\nidle_timeout = x', /idle_timeout must be a whole number/],
  ['[log]\nserver_log = socket-server.log', /server_log must be an absolute path/],
  ['[log]\ntool_log =', /tool_log must be an absolute path/],
  ['[log]\nlevel = trace', /level must be one of error, warn, info, debug, got 'trace'/],
  ['[backup]\ntool[] = mariabackup', /config:2: \[backup\] malformed line/],
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

test('loadAppConfig: without a name it reads the default path and its drop-ins', () =>
  withTemp(async (dir) => {
    const dflt = join(dir, 'innobackupex.conf');
    await writeFile(dflt, '[server]\nport = 3333\n');
    await mkdir(`${dflt}.d`);
    await writeFile(join(`${dflt}.d`, '10.conf'), '[client]\nprotocol = v2\n');
    const c = loadAppConfig(undefined, {}, dflt);
    assert.equal(c.server.port, 3333);
    assert.equal(c.client.protocol, 'v2');
    assert.deepEqual(readAppConfig(undefined, {}, dflt).files, [dflt, join(`${dflt}.d`, '10.conf')]);
  }));

test('loadAppConfig: a missing default file means every default (its drop-ins still apply)', () =>
  withTemp(async (dir) => {
    const dflt = join(dir, 'innobackupex.conf');
    assert.deepEqual(loadAppConfig(undefined, {}, dflt), DEFAULT_CONFIG);
    await mkdir(`${dflt}.d`);
    await writeFile(join(`${dflt}.d`, '10.conf'), '[server]\nport = 4444\n');
    assert.equal(loadAppConfig(undefined, {}, dflt).server.port, 4444);
  }));

test('loadAppConfig: a missing file that was named is an error, by --config or by the environment', () =>
  withTemp(async (dir) => {
    const missing = join(dir, 'nope.conf');
    assert.throws(() => loadAppConfig(missing, {}), (e: unknown) => e instanceof ConfigReadError && configError(/nope\.conf: cannot read config/)(e));
    assert.throws(() => loadAppConfig(undefined, { [CONFIG_ENV]: missing }), configError(/nope\.conf: cannot read config/));
  }));

test('loadAppConfig: a bad value is reported with the file, line and section', () =>
  withTemp(async (dir) => {
    const file = join(dir, 'bad.conf');
    await writeFile(file, '# mine\n[client]\nprotocol = v9\n');
    assert.throws(() => loadAppConfig(file, {}), configError(new RegExp(`^${file}:3: \\[client\\] protocol must be one of`)));
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
    assert.throws(() => loadAppConfig(file, {}), configError(/50-bad\.conf:2: \[log\] level must be one of/));
  }));

/** The problems of a ConfigError, as `line: [section] message` strings. */
function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ConfigError, `not a ConfigError: ${String(err)}`);
    assert.equal(err.exitCode, ExitCode.config);
    return err.problems.map((p) => `${p.line ?? '-'}: ${p.section ? `[${p.section}] ` : ''}${p.message}`);
  }
  assert.fail('no error');
}

test('the mistakes of issue 9 are each reported, by line and section, in one error', () => {
  const text = ['[backup]', 'toool = xtrabackup', 'junk', '[server', 'port = 1', '[bogus]', 'a = 1', 'b = 2', '[client]', 'protocol = v2'].join('\n');
  assert.deepEqual(problemsOf(() => parseAppConfig(text, '/etc/x.conf')), [
    "2: [backup] unknown key 'toool' (did you mean 'tool'?)",
    '3: [backup] malformed line: expected key = value, [section] or a # comment',
    "4: malformed section header '[server' (expected [name])",
    '6: unknown section [bogus] (known: backup, state, server, client, log, auth, tls)',
  ]);
  assert.throws(() => parseAppConfig(text, '/etc/x.conf'), (e: Error) => e.message.split('\n')[0] === "/etc/x.conf:2: [backup] unknown key 'toool' (did you mean 'tool'?)");
});

test('port must be a whole number names its section', () => {
  assert.deepEqual(problemsOf(() => parseAppConfig('[server]\nport = 25300x')), ["2: [server] port must be a whole number, got '25300x'"]);
  assert.deepEqual(problemsOf(() => parseAppConfig('\n[backup]\nport = x')), ["3: [backup] port must be a whole number, got 'x'"]);
});

test('strict syntax: keys outside a section, twice in a section, in the wrong section, a typo of a section', () => {
  assert.deepEqual(problemsOf(() => parseAppConfig('port = 1\n[server]\nport = 2')), ["1: 'port' is outside any [section]"]);
  assert.deepEqual(problemsOf(() => parseAppConfig('[server]\nport = 2\n\nport = 3')), ['4: [server] port is set twice (first at line 2)']);
  assert.deepEqual(problemsOf(() => parseAppConfig('[client]\ntool = mariabackup')), ["2: [client] unknown key 'tool' here: it belongs in [backup]"]);
  assert.deepEqual(problemsOf(() => parseAppConfig('[sever]\nport = 2')), ['1: unknown section [sever] (did you mean [server]?)']);
  assert.deepEqual(problemsOf(() => parseAppConfig('[server]\n= 2')), ['2: [server] malformed line: expected key = value, [section] or a # comment']);
});

test('strict syntax still takes comments, blank lines, spaces, quotes and trailing comments', () => {
  const c = parseAppConfig('\uFEFF# top\r\n  ; indented comment\n\n  [ server ]  \n  port=4444   # the port\nplugin_dir = "/opt/p"\n[log]\nlevel = debug ; chatty\n');
  assert.equal(c.server.port, 4444);
  assert.equal(c.server.pluginDir, '/opt/p');
  assert.equal(c.log.level, 'debug');
});

test('a section may appear twice; a drop-in may set a key the main file set', () =>
  withTemp(async (dir) => {
    assert.equal(parseAppConfig('[server]\nport = 1\n[log]\n[server]\nidle_timeout = 9').server.idleTimeout, 9);
    const file = join(dir, 'a.conf');
    await writeFile(file, '[server]\nport = 1\n');
    await mkdir(`${file}.d`);
    await writeFile(join(`${file}.d`, 'x.conf'), '[server]\nport = 2\n[srever]\nport = 3\n');
    assert.deepEqual(problemsOf(() => loadAppConfig(file, {})), ['3: unknown section [srever] (did you mean [server]?)']);
    assert.throws(() => loadAppConfig(file, {}), (e: Error) => e.message.startsWith(`${join(`${file}.d`, 'x.conf')}:3: unknown section`));
  }));

test('a ConfigError carries the server log the files asked for, to report itself there', () => {
  try {
    parseAppConfig('[log]\nserver_log = /srv/log/s.log\n[server]\nport = x');
    assert.fail('no error');
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    assert.equal(err.serverLog, '/srv/log/s.log');
  }
});

test('a file where the drop-in directory would be is not one', () =>
  withTemp(async (dir) => {
    const file = join(dir, 'a.conf');
    await writeFile(file, '');
    await writeFile(`${file}.d`, 'not a directory');
    assert.deepEqual(loadAppConfig(file, {}), DEFAULT_CONFIG, 'a file named .d is no drop-in directory');
  }));

test('[client] max_file_size: bytes or a binary suffix, bounded, 4 TiB by default', () => {
  assert.equal(parseAppConfig('').client.maxFileSize, 4n * 1024n ** 4n);
  assert.equal(parseAppConfig('[client]\nmax_file_size = 1048576\n').client.maxFileSize, 1048576n);
  assert.equal(parseAppConfig('[client]\nmax_file_size = 2TiB\n').client.maxFileSize, 2n * 1024n ** 4n);
  assert.equal(parseAppConfig('[client]\nmax_file_size = 64m\n').client.maxFileSize, 64n * 1024n ** 2n);
  for (const bad of ['lots', '-1', '1.5T', '1000', '2E']) {
    assert.throws(() => parseAppConfig(`[client]\nmax_file_size = ${bad}\n`), /max_file_size must be/, bad);
  }
});

test('[client] compression: off by default; zstd is refused at load, naming the runtime, where zlib has no zstd', () => {
  assert.deepEqual(parseAppConfig('').client.compression, []);
  assert.deepEqual(parseAppConfig('[client]\ncompression = off').client.compression, []);
  assert.equal(parseAppConfig('').server.compression, true);
  const zstd = (): unknown => parseAppConfig('[client]\ncompression = zstd gzip:1');
  if (runtimeHas('zstd')) {
    assert.deepEqual((zstd() as { client: { compression: Array<{ token: string }> } }).client.compression.map((e) => e.token), ['zstd:1', 'gzip:1']);
  } else {
    assert.throws(zstd, configError(new RegExp(`compression 'zstd': this Node\\.js ${process.version.replace(/\./g, '\\.')} has no zstd in zlib \\(it needs >= 22\\.15 or 23\\.8\\): use gzip`)));
  }
});
