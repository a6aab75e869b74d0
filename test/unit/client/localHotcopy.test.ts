import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parseCopyArgs } from '../../../src/client/args.js';
import { runLocalHotcopy } from '../../../src/client/forms/localHotcopy.js';
import { DEFAULT_CONFIG } from '../../../src/config/appConfig.js';
import { memoryLogger } from '../snapshot/helpers.js';
import { fakeRunner, onlyCall } from '../../helpers/fakeRunner.js';

test('mysqlhotcopy here: the password goes in MYSQL_PWD, never on its command line', async () => {
  const req = parseCopyArgs(['--mysqlhotcopy=/opt/bin', '--user', 'u', '--password', 'S3cret pw', '--host', 'localhost', 'db1', 'db2', '/dest']);
  assert.equal(req.form, 'mysqlhotcopy');
  if (req.form !== 'mysqlhotcopy') return;
  const { run, calls } = fakeRunner();
  const ctx = { env: {}, config: DEFAULT_CONFIG, logger: memoryLogger().logger, stdout: new PassThrough(), stderr: new PassThrough(), run };
  assert.equal(await runLocalHotcopy(req, ctx), 0);
  const call = onlyCall(calls);
  assert.equal(call.file, '/opt/bin/mysqlhotcopy');
  assert.ok(!call.args.some((a) => a.includes('S3cret')), call.args.join(' '));
  assert.ok(!call.args.some((a) => a.startsWith('--host')), 'the host is this one: not passed on');
  assert.deepEqual(call.args.slice(-3), ['db1', 'db2', '/dest']);
  assert.deepEqual(call.options.env, { MYSQL_PWD: 'S3cret pw' });
});
