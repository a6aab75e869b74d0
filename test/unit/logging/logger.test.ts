import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { addSecret, createLogger, flushLogger } from '../../../src/logging/logger.js';
import { redact } from '../../../src/logging/redact.js';
import { makeTempDir } from '../../helpers/tempDir.js';

test('redact masks password options, password= settings and named secrets', () => {
  assert.equal(redact('mariabackup --password=hunter2 --user=x'), 'mariabackup --password=*** --user=x');
  assert.equal(redact('password = s3cret'), 'password = ***');
  assert.equal(redact('connecting with pw: abc$def;', ['abc$def']), 'connecting with pw: ***;');
});

test('the log file gets timestamped lines with secrets masked, also ones learnt later', async () => {
  const tmp = await makeTempDir();
  try {
    const file = join(tmp.path, 'server.log');
    const logger = createLogger({ file, label: 'socket-server' });
    addSecret(logger, `pw'"$x`);
    logger.info(`user zrm with pw'"$x and --password=other`);
    await flushLogger(logger);
    const text = await readFile(file, 'utf8');
    assert.match(text, /^\d{4}-\d\d-\d\dT[\d:.]+Z socket-server\[\d+\] info: user zrm with \*\*\* and --password=\*\*\*\n$/);
  } finally {
    await tmp.cleanup();
  }
});

test('an unwritable log path gives a silent logger, not a crash or stderr output', async () => {
  const logger = createLogger({ file: '/nonexistent-dir/x.log' });
  logger.error('nowhere to go');
  await flushLogger(logger);
  assert.equal(logger.silent, true);
});

test('right after a rotation the new log file made by logrotate is used, not one of our own', async () => {
  const tmp = await makeTempDir();
  try {
    const file = join(tmp.path, 'server.log');
    await writeFile(file, 'old line\n');
    await rename(file, `${file}.1`);
    // logrotate's `create` comes a moment after the rename.
    const creator = execa('sh', ['-c', `sleep 0.1 && echo created-by-logrotate > '${file}'`]);
    const logger = createLogger({ file });
    logger.info('new line');
    await flushLogger(logger);
    await creator;
    const text = await readFile(file, 'utf8');
    assert.match(text, /^created-by-logrotate\n.*new line\n$/s);
    assert.equal((await stat(`${file}.1`)).size, 'old line\n'.length);
  } finally {
    await tmp.cleanup();
  }
});

test("a client's control characters reach the log escaped: no carriage return or terminal escape can forge or hide a line", async () => {
  const tmp = await makeTempDir();
  try {
    const file = join(tmp.path, 'server.log');
    const logger = createLogger({ file, label: 'socket-server' });
    logger.error(`link '/etc/passwd\r2026-12-04T21:05:00.000Z socket-server[1] info: outcome=OK forged\x1b[2K' refused`);
    logger.error('csi \u009b2K, separator \u2028, override \u202e end');
    await flushLogger(logger);
    const text = await readFile(file, 'utf8');
    assert.ok(!/[\r\x1b\u009b\u2028\u202e]/.test(text), JSON.stringify(text));
    assert.match(text, /csi \\x9b2K, separator \\u2028, override \\u202e end\n$/);
    assert.match(text, /'\/etc\/passwd\\r2026-12-04T21:05:00\.000Z .* forged\\x1b\[2K' refused\n/);
  } finally {
    await tmp.cleanup();
  }
});
