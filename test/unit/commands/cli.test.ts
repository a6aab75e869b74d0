import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { main } from '../../../src/cli.js';
import { ExitCode } from '../../../src/errors.js';
import { VERSION } from '../../../src/version.js';
import { makeTempDir } from '../../helpers/tempDir.js';
import { memoryIo } from './memoryIo.js';

// cli.ts: which command runs for a file name or subcommand, where -c may stand, exit statuses.

async function withConfig(text: string, fn: (file: string, dir: string) => Promise<void>): Promise<void> {
  const tmp = await makeTempDir('zrm-cli-');
  try {
    const file = join(tmp.path, 'settings.conf');
    await writeFile(file, `[log]\nserver_log = ${join(tmp.path, 's.log')}\ntool_log = ${join(tmp.path, 't.log')}\n${text}`);
    await fn(file, tmp.path);
  } finally {
    await tmp.cleanup();
  }
}

async function run(args: string[], env: NodeJS.ProcessEnv = {}, script = '/usr/bin/zrm-innobackupex') {
  const io = memoryIo(env);
  const code = await main(['/usr/bin/node', script, ...args], io);
  return { code, out: io.out(), err: io.err() };
}

test('a plugin file name runs that plugin with the arguments unchanged', () =>
  withConfig('', async (file) => {
    const env = { ZRM_INNOBACKUPEX_CONF: file };
    const snap = await run(['--bogus'], env, '/usr/share/mysql-zrm/plugins/inno-snapshot.pl');
    assert.deepEqual([snap.code, snap.err], [ExitCode.usage, "inno-snapshot: unknown option '--bogus'\n"]);
    const copy = await run(['--bogus'], env, '/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl');
    assert.deepEqual([copy.code, copy.err], [ExitCode.usage, 'zrm-innobackupex: socket-copy: unknown option --bogus\n']);
  }));

test('the snapshot and socket-copy subcommands are the same plugins', () =>
  withConfig('', async (file) => {
    const snap = await run(['-c', file, 'snapshot', '--action', 'explode']);
    assert.equal(snap.code, ExitCode.usage);
    assert.match(snap.err, /^inno-snapshot: unknown action 'explode'/);
    const copy = await run(['-c', file, 'socket-copy', '--bogus']);
    assert.deepEqual([copy.code, copy.err], [ExitCode.usage, 'zrm-innobackupex: socket-copy: unknown option --bogus\n']);
  }));

test('-c is taken before or after the subcommand', () =>
  withConfig('[server]\nport = 4321\n', async (file) => {
    for (const args of [['-c', file, 'status'], ['status', '-c', file], ['status', `--config=${file}`], ['--config', file, 'status']]) {
      const r = await run(args);
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.err}`);
      assert.match(r.out, /^server port: +4321$/m, args.join(' '));
    }
  }));

test('-c after a plugin subcommand names the settings, the rest goes to the plugin', () =>
  withConfig('[server]\nport = x\n', async (file) => {
    for (const args of [['snapshot', '-c', file, '--action', 'mount'], ['socket-copy', `--config=${file}`, '--bogus']]) {
      const r = await run(args);
      assert.equal(r.code, ExitCode.config, args.join(' '));
      assert.match(r.err, /settings\.conf:5: \[server\] port must be a whole number/);
    }
  }));

test('--help works for every subcommand and plugin name, on stdout, exit 0', async () => {
  const cases: Array<[string[], string?]> = [
    [['--help']], [['-h']], [['help']], [['help', 'status']],
    [['snapshot', '--help']], [['snapshot', '-h']], [['socket-copy', '--help']], [['socket-server', '--help']],
    [['status', '--help']], [['config', '--help']], [['config', 'check', '--help']],
    [['--help'], '/usr/share/mysql-zrm/plugins/inno-snapshot.pl'], [['-h'], '/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl'],
  ];
  for (const [args, script] of cases) {
    const r = await run(args, {}, script);
    assert.equal(r.code, 0, `${script ?? ''} ${args.join(' ')}: ${r.err}`);
    assert.match(r.out, /^Usage: zrm-innobackupex/, `${script ?? ''} ${args.join(' ')}`);
  }
  assert.match((await run(['--help'], {}, 'inno-snapshot.pl')).out, /--action get-vm-device-details/);
  assert.match((await run(['socket-copy', '--help'])).out, /--create-link/);
});

test('--version prints the version, exit 0', async () => {
  assert.deepEqual(await run(['--version']), { code: 0, out: `${VERSION}\n`, err: '' });
});

test('wrong arguments to the CLI exit 2 (usage), like the plugins', async () => {
  for (const args of [['bogus'], ['--bogus'], ['status', '--bogus'], ['status', 'extra'], ['config', 'check', 'a', 'b'], ['-c']]) {
    const r = await run(args);
    assert.equal(r.code, ExitCode.usage, `${args.join(' ')}: ${r.err}`);
    assert.match(r.err, /error: /, args.join(' '));
  }
});

test('config check: a good file is OK (exit 0), a bad one lists each mistake (exit 3)', () =>
  withConfig('[server]\nport = 4444\n', async (file, dir) => {
    const good = await run(['config', 'check', file]);
    assert.deepEqual(good, { code: 0, out: `${file}: OK\n`, err: '' });
    assert.equal((await run(['config', 'check'], { ZRM_INNOBACKUPEX_CONF: file })).code, 0);
    assert.equal((await run(['-c', file, 'config', 'check'])).code, 0);
    const bad = join(dir, 'bad.conf');
    await writeFile(bad, '[backup]\ntoool = xtrabackup\njunk\n[server\n[bogus]\n');
    const r = await run(['config', 'check', bad]);
    assert.equal(r.code, ExitCode.config);
    assert.equal(r.out, '');
    assert.deepEqual(r.err.trimEnd().split('\n'), [
      `zrm-innobackupex: ${bad}:2: [backup] unknown key 'toool' (did you mean 'tool'?)`,
      `zrm-innobackupex: ${bad}:3: [backup] malformed line: expected key = value, [section] or a # comment`,
      `zrm-innobackupex: ${bad}:4: malformed section header '[server' (expected [name])`,
      `zrm-innobackupex: ${bad}:5: unknown section [bogus] (known: backup, state, server, client, log, auth, tls)`,
    ]);
    const missing = await run(['config', 'check', join(dir, 'nope.conf')]);
    assert.equal(missing.code, ExitCode.config);
    assert.match(missing.err, /nope\.conf: cannot read config/);
  }));
