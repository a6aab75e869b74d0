import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startBackup } from '../../../src/backupTool/run.js';
import { parseAppConfig } from '../../../src/config/appConfig.js';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { fakeRunner, onlyCall } from '../../helpers/fakeRunner.js';
import { withTempDir } from '../../helpers/tempDir.js';

const creds = { user: 'zrm_backup', password: 's3cret-pw' };

/** Runs startBackup for `tool` through a fake runner; the one call, the backup and the tool log. */
async function startWithFake(dir: string, tool: string) {
  const config = parseAppConfig(`[backup]\ntool = ${tool}\ntmp_dir = ${dir}\n`);
  const toolLog = createLogger({ file: join(dir, 'tool.log') });
  const { run, calls } = fakeRunner();
  const backup = await startBackup(config, creds, toolLog, { run });
  await backup.done;
  await flushLogger(toolLog);
  return { call: onlyCall(calls), backup, log: await readFile(join(dir, 'tool.log'), 'utf8') };
}

test('the backup tool gets our option file first, and its password nowhere in argv or environment', () =>
  withTempDir('zrm-run-', async (dir) => {
    const { call, log } = await startWithFake(dir, 'mariabackup');
    assert.equal(call.file, '/usr/bin/mariabackup');
    assert.match(call.args[0] ?? '', /^--defaults-extra-file=\//);
    assert.ok(call.args.includes('--stream=xbstream'), call.args.join(' '));
    assert.equal(call.options.detached, true, 'the tool leads its own process group');
    const seen = JSON.stringify({ args: call.args, env: call.options.env ?? {} });
    assert.ok(!seen.includes(creds.password), `password on the command line or in the environment: ${seen}`);
    assert.ok(!log.includes(creds.password));
  }));

test('innobackupex streams tar, its scratch directory last', () =>
  withTempDir('zrm-run-', async (dir) => {
    const { call, backup } = await startWithFake(dir, 'innobackupex');
    assert.equal(backup.format, 'tar');
    assert.match(call.args[0] ?? '', /^--defaults-extra-file=/);
    assert.ok(call.args.includes('--stream=tar'));
    assert.match(call.args.at(-1) ?? '', /\/target$/);
  }));
