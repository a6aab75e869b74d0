import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { installPlugins } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';

// Under xinetd, fds 0, 1 and 2 are the client's socket: whatever goes wrong, not one byte but
// protocol may reach stdout or stderr (no stack trace, no Node warning, no help text).
async function serve(env: Record<string, string>, input: string, args: string[] = []) {
  const tmp = await makeTempDir();
  try {
    const plugins = await installPlugins(join(tmp.path, 'plugins'));
    return await execa(plugins['socket-server.palomino.pl'], args, { input, reject: false, env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env }, extendEnv: false, encoding: 'buffer' });
  } finally {
    await tmp.cleanup();
  }
}

test('a config that cannot be read: silence on stdout and stderr, non-zero exit', async () => {
  const r = await serve({ ZRM_INNOBACKUPEX_CONF: '/nonexistent/innobackupex.conf' }, '1.8b5_palomino\ncopy from\n/etc/hostname\n/tmp\n/usr/bin\n');
  assert.notEqual(r.exitCode, 0);
  assert.equal(r.stdout.length, 0);
  assert.equal(r.stderr.length, 0);
});

test('a broken config value, deprecation warnings forced on, and junk arguments: still silent', async () => {
  const tmp = await makeTempDir();
  try {
    const conf = join(tmp.path, 'bad.conf');
    await writeFile(conf, '[server]\nport = not-a-number\n');
    const r = await serve({ ZRM_INNOBACKUPEX_CONF: conf, NODE_OPTIONS: '--pending-deprecation --trace-warnings' }, 'junk\n', ['--help', '--bogus']);
    assert.notEqual(r.exitCode, 0);
    assert.equal(r.stdout.length, 0);
    assert.equal(r.stderr.length, 0, r.stderr.toString());
  } finally {
    await tmp.cleanup();
  }
});

test('an unknown version: hung up on without a byte', async () => {
  const tmp = await makeTempDir();
  try {
    const conf = join(tmp.path, 'ok.conf');
    await writeFile(conf, `[log]\nserver_log = ${join(tmp.path, 's.log')}\ntool_log = ${join(tmp.path, 't.log')}\n`);
    const r = await serve({ ZRM_INNOBACKUPEX_CONF: conf }, '9.9_future\ncopy from\n/etc/hostname\n/tmp\n/usr/bin\n');
    assert.equal(r.exitCode, 1);
    assert.equal(r.stdout.length + r.stderr.length, 0);
  } finally {
    await tmp.cleanup();
  }
});
