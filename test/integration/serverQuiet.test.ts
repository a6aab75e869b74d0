import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { MAIN_JS, installPlugins } from '../helpers/plugins.js';
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

test('an uncaught exception in server mode is logged with its stack, then the process ends with 1, still silent', async () => {
  const tmp = await makeTempDir();
  try {
    const conf = join(tmp.path, 'ok.conf');
    const log = join(tmp.path, 's.log');
    await writeFile(conf, `[log]\nserver_log = ${log}\ntool_log = ${join(tmp.path, 't.log')}\n`);
    // A fault from outside the request's own promise chain, once the server is reading the request.
    const preload = join(tmp.path, 'throw-later.mjs');
    // Thrown once the server has opened its log, i.e. once it is serving.
    await writeFile(
      preload,
      `import { existsSync } from 'node:fs';\n` +
        `const t = setInterval(() => { if (existsSync(${JSON.stringify(log)})) { clearInterval(t); throw new Error('injected fault password=S3cret'); } }, 10);\n`,
    );
    const slow = await execa(process.execPath, ['--import', preload, MAIN_JS, 'socket-server'], {
      input: undefined,
      stdin: 'pipe',
      reject: false,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf },
      extendEnv: false,
      encoding: 'buffer',
      timeout: 60_000,
    });
    assert.equal(slow.exitCode, 1);
    assert.equal(slow.stdout.length + slow.stderr.length, 0, slow.stderr.toString());
    const text = await readFile(log, 'utf8');
    assert.match(text, /error: uncaught exception: Error: injected fault/);
    assert.match(text, /\n    at /, 'with its stack');
    assert.doesNotMatch(text, /S3cret/);
  } finally {
    await tmp.cleanup();
  }
});
