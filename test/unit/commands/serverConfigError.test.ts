import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { reportServerConfigError } from '../../../src/commands/serverConfigError.js';
import { parseAppConfig } from '../../../src/config/appConfig.js';
import { installPlugins } from '../../helpers/plugins.js';
import { withTempDir } from '../../helpers/tempDir.js';

// Under xinetd the socket server's stderr is the client: settings it cannot use are reported in
// its log, else in syslog, and the client sees nothing but the hang-up.

const withTemp = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('zrm-srvconf-', fn);

function configErrorOf(text: string): unknown {
  try {
    parseAppConfig(text, '/etc/x.conf');
  } catch (err) {
    return err;
  }
  assert.fail('no error');
}

/** A `logger` first on PATH that records its arguments, one call a line. */
async function fakeLogger(dir: string): Promise<{ env: NodeJS.ProcessEnv; calls: () => Promise<string> }> {
  const record = join(dir, 'logger-calls');
  await writeFile(join(dir, 'logger'), `#!/bin/sh\necho "$*" >> '${record}'\n`);
  await chmod(join(dir, 'logger'), 0o755);
  return { env: { PATH: `${dir}:/usr/bin:/bin` }, calls: () => readFile(record, 'utf8').catch(() => '') };
}

test('settings errors go to the server log the file names, each problem a line', () =>
  withTemp(async (dir) => {
    const log = join(dir, 'server.log');
    const err = configErrorOf(`[log]\nserver_log = ${log}\n[server]\nport = x\ntoool = 1\n`);
    const logger = await fakeLogger(dir);
    assert.equal(await reportServerConfigError(err, logger.env), 'log');
    const lines = (await readFile(log, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 2);
    assert.match(lines[0] ?? '', /socket-server\[\d+\] error: settings unusable, not serving: \/etc\/x\.conf:4: \[server\] port must be a whole number, got 'x'$/);
    assert.match(lines[1] ?? '', /\/etc\/x\.conf:5: \[server\] unknown key 'toool'/);
    assert.equal(await logger.calls(), '', 'syslog only when the log cannot be written');
  }));

test('when the log cannot be written, settings errors go to syslog (logger -t zrm-innobackupex)', () =>
  withTemp(async (dir) => {
    const err = configErrorOf(`[log]\nserver_log = ${join(dir, 'no-such-dir', 'server.log')}\n[server]\nport = x\n`);
    const logger = await fakeLogger(dir);
    assert.equal(await reportServerConfigError(err, logger.env), 'syslog');
    assert.equal(
      await logger.calls(),
      "-t zrm-innobackupex -p daemon.err -- settings unusable, not serving: /etc/x.conf:4: [server] port must be a whole number, got 'x'\n",
    );
  }));

test('the socket server with bad settings: the error in its log, nothing on stdout/stderr, exit 3', () =>
  withTemp(async (dir) => {
    const plugins = await installPlugins(join(dir, 'plugins'));
    const conf = join(dir, 'bad.conf');
    const log = join(dir, 'server.log');
    await writeFile(conf, `[log]\nserver_log = ${log}\n[server\nport = 1\n`);
    const r = await execa(plugins['socket-server.palomino.pl'], [], {
      input: '1.8b5_palomino\ncopy from\n/etc/hostname\n/tmp\n/usr/bin\n',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf },
      extendEnv: false,
      reject: false,
    });
    assert.deepEqual([r.exitCode, r.stdout, r.stderr], [3, '', '']);
    assert.match(await readFile(log, 'utf8'), /bad\.conf:3: malformed section header '\[server'/);
  }));
