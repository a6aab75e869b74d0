import { test } from 'node:test';
import assert from 'node:assert/strict';
import { open, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { createPlainLogger } from '../../../src/logging/plainLogger.js';
import { withTempDir } from '../../helpers/tempDir.js';

const TIMESTAMP = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z /gm;

/** The same lines through a logger, timestamps cut off (they are checked separately). */
async function linesOf(file: string): Promise<string> {
  return (await readFile(file, 'utf8')).replace(TIMESTAMP, '');
}

test('the plugin logger writes the lines winston writes: format, label, levels, secrets', async () => {
  await withTempDir('plain-log-', async (dir) => {
    for (const [name, opts] of [['labelled', { label: 'inno-snapshot', level: 'info' }], ['bare', { level: 'debug' }]] as const) {
      const viaWinston = join(dir, `${name}-winston.log`);
      const viaPlain = join(dir, `${name}-plain.log`);
      const w = createLogger({ file: viaWinston, ...opts });
      const p = createPlainLogger({ file: viaPlain, ...opts });
      for (const log of [w, p]) {
        log.info('armed for user zrm --password=hunter2');
        (log as { addSecret(s: string): void }).addSecret(`pw'"$x`);
        log.warn(`later secret pw'"$x here`);
        log.debug('only at debug');
        log.error('multi\nline');
      }
      await flushLogger(w);
      await p.flush();
      const plain = await readFile(viaPlain, 'utf8');
      assert.match(plain, TIMESTAMP);
      assert.equal(await linesOf(viaPlain), await linesOf(viaWinston));
      assert.ok(plain.includes('--password=***') && plain.includes('later secret *** here') && !plain.includes('hunter2'));
      assert.equal(plain.includes('only at debug'), opts.level === 'debug');
      if (name === 'labelled') assert.match(plain, new RegExp(`^\\S+ inno-snapshot\\[${process.pid}\\] info: armed`));
    }
  });
});

test('a log path the plugin cannot write gives a logger that writes nothing and does not throw', async () => {
  const logger = createPlainLogger({ file: '/nonexistent-dir/x.log' });
  logger.error('nowhere to go');
  await logger.flush();
  await flushLogger(logger);
});

test('lines logged after the flush are dropped, not written to a closed (or reused) descriptor', async () => {
  await withTempDir('plain-log-', async (dir) => {
    const file = join(dir, 'server.log');
    const logger = createPlainLogger({ file });
    const other = join(dir, 'other');
    logger.info('before');
    await flushLogger(logger);
    // The next file opened gets the descriptor number the log had.
    const fh = await open(other, 'a');
    try {
      logger.info('after');
    } finally {
      await fh.close();
    }
    assert.match(await readFile(file, 'utf8'), /info: before\n$/);
    assert.equal(await readFile(other, 'utf8'), '');
  });
});

test('right after a rotation the plugin logger waits for the file logrotate creates', async () => {
  await withTempDir('plain-log-', async (dir) => {
    const file = join(dir, 'server.log');
    await writeFile(file, 'old line\n');
    await rename(file, `${file}.1`);
    const creator = execa('sh', ['-c', `sleep 0.1 && echo created-by-logrotate > '${file}'`]);
    const logger = createPlainLogger({ file });
    logger.info('new line');
    await logger.flush();
    await creator;
    assert.match(await readFile(file, 'utf8'), /^created-by-logrotate\n.*new line\n$/s);
  });
});
