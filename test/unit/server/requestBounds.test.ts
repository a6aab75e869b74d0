import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { runServer } from '../../../src/server/index.js';
import { MAX_EXTRA_BYTES, MAX_EXTRA_LINE, MAX_EXTRA_LINES } from '../../../src/server/limits.js';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv, type ServerEnv } from './harness.js';

// Holes 4 and 5 of issue 7: a request must arrive whole, soon, and small.

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** Serves a request whose input stays open after `parts`: a client that dribbles then stalls. */
async function serveStalled(env: ServerEnv, parts: string[]): Promise<{ status: number; output: string; log: string }> {
  const input = new PassThrough();
  const output = new Collector();
  const logFile = join(env.root, `stalled-${Math.random().toString(36).slice(2)}.log`);
  const logger = createLogger({ file: logFile, level: 'debug' });
  const toolLog = createLogger({ file: join(env.root, 'tool.log') });
  // One piece now, the next a little later: dribbling, never finishing the request.
  for (const part of parts) input.write(part);
  const status = await runServer({ input, output }, { config: env.config, logger, toolLog, env: {}, peer: 'test' });
  await flushLogger(logger);
  await flushLogger(toolLog);
  return { status, output: output.text, log: await readFile(logFile, 'utf8') };
}

test('slow drip: a header that never completes is dropped after header_timeout', { timeout: 30_000 }, () =>
  withServerEnv(async (env) => {
    for (const parts of [[`${LEGACY_VERSION}\ncopy fr`], [`${V2_VERSION}\n`], []]) {
      const r = await serveStalled(env, parts);
      assert.equal(r.status, 1);
      assert.match(r.log, /outcome=FAILED failed: the request was not complete within header_timeout \(1s\)/);
    }
  }, '[server]\nheader_timeout = 1\n'));

test('slow drip: extra lines (create-link, snapshot, copy between) are under the same deadline', { timeout: 30_000 }, () =>
  withServerEnv(async (env) => {
    const requests = [
      [header(LEGACY_VERSION, 'create-link', '/tmp/list', env.tmp), '3\n', `${env.data}/a\n`],
      [header(V2_VERSION, 'snapshot', '--action=umount', env.tmp), 'inno-snapshot.pl\n'],
      [header(LEGACY_VERSION, 'copy between', "--source-file '/x' --destination-dir /y --source-host localhost --destination-host h", env.tmp)],
    ];
    for (const parts of requests) {
      const r = await serveStalled(env, parts);
      assert.equal(r.status, 1);
      assert.match(r.log, /header_timeout \(1s\)/);
      // The status block the client waits for says why, if it is still there to read it.
      assert.match(r.output, /ERROR\n1\nthe request was not complete/);
    }
  }, '[server]\nheader_timeout = 1\n'));

test('a complete request is not cut by header_timeout while its action runs', { timeout: 30_000 }, () =>
  withServerEnv(async (env) => {
    // copy to: the upload that follows the header is data, watched by idle_timeout only.
    const input = new PassThrough();
    const output = new Collector();
    const logger = createLogger({ file: join(env.root, 'upload.log'), level: 'debug' });
    input.write(header(V2_VERSION, 'copy to', env.data, env.tmp));
    const served = runServer({ input, output }, { config: env.config, logger, toolLog: logger, env: { PATH: process.env.PATH }, peer: 'test' });
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(output.text, 'OK ready\n');
    input.end(); // an empty v2 upload: refused for being empty, not for the deadline
    await served;
    await flushLogger(logger);
    assert.doesNotMatch(await readFile(join(env.root, 'upload.log'), 'utf8'), /header_timeout/);
  }, '[server]\nheader_timeout = 1\n'));

test('extra lines: too many, too long or too much in all is refused with a clear error', () =>
  withServerEnv(async (env) => {
    const cases: Array<[string[], RegExp]> = [
      [[`${MAX_EXTRA_LINES + 1}\n`], new RegExp(`${MAX_EXTRA_LINES + 1} lines is more than the ${MAX_EXTRA_LINES} allowed`)],
      [['1\n', `${'a'.repeat(MAX_EXTRA_LINE + 1)}\n`], new RegExp(`line 1 is longer than the ${MAX_EXTRA_LINE} bytes allowed`)],
      [['20000\n', ...Array.from({ length: 20000 }, () => `/${'b'.repeat(99)}\n`)], new RegExp(`more than the ${MAX_EXTRA_BYTES} bytes allowed in all`)],
      [['99999999999999999999999999999999999\n'], /expected a line count/],
    ];
    for (const [extra, message] of cases) {
      for (const version of [LEGACY_VERSION, V2_VERSION]) {
        const r = await serve(env, [header(version, 'create-link', '/tmp/list', env.tmp), ...extra]);
        assert.equal(r.status, 1, `${version} ${message}`);
        const status = parseStatus(r.output.toString().replace(/^OK\n/, ''));
        assert.equal(status.ok, false);
        assert.match(status.lines.join(' '), message);
        assert.match(r.log, message);
      }
    }
  }));

test('extra lines within the bounds are read in full', () =>
  withServerEnv(async (env) => {
    const lines = Array.from({ length: 5000 }, (_, i) => `${env.data}/d${i}`);
    const r = await serve(env, [header(V2_VERSION, 'create-link', '/tmp/list', env.tmp), `${lines.length}\n`, ...lines.map((l) => `${l}\n`)]);
    assert.equal(r.status, 0, r.log);
    assert.equal(parseStatus(r.output.toString().replace(/^OK\n/, '')).lines.length, 5000);
  }));
