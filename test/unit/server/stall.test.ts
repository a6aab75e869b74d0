import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { runServer } from '../../../src/server/index.js';
import { LEGACY_VERSION, V2_VERSION, header, withServerEnv } from './harness.js';

// Issue 8, case 4: a client that stops reading mid-stream. The server must not wait on it for the
// idle timeout (the backup tool may hold its lock, and the database's writes with it): after
// [server] stall_timeout the producer is stopped and the request fails.

/** A client that takes the first bytes, then never reads again. */
class StalledClient extends Writable {
  received = 0;
  constructor() {
    super({ highWaterMark: 1024 });
  }
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.received += chunk.length;
    if (this.received < 4096) done(); // then never calls back: the socket buffer is full
  }
}

const STALL_FAULTS = [
  [V2_VERSION, 'fault: client stalled (stops reading) | v2 | after [server] stall_timeout the tool is stopped and the request fails'],
  [LEGACY_VERSION, 'fault: client stalled (stops reading) | 1.8b5 | after [server] stall_timeout the request fails (the tool wrote to local disk, not to the client)'],
] as const;
for (const [version, name] of STALL_FAULTS) {
  test(name, () =>
    withServerEnv(async (env) => {
      const big = join(env.data, 'big.bin');
      await writeFile(big, randomBytes(8 * 1024 * 1024));
      const input = new PassThrough();
      input.end(header(version, 'copy from', big, env.tmp));
      const output = new StalledClient();
      const logFile = join(env.root, 'stall.log');
      const logger = createLogger({ file: logFile, level: 'debug' });
      const toolLog = createLogger({ file: join(env.root, 'tool.log') });
      const status = await runServer({ input, output }, { config: env.config, logger, toolLog, env: {}, peer: 'test' });
      await flushLogger(logger);
      await flushLogger(toolLog);
      const log = await readFile(logFile, 'utf8');
      assert.equal(status, 1, log);
      assert.match(log, /the client stopped reading: a write waited more than 1 s \(\[server\] stall_timeout\)/);
      assert.match(log, /outcome=FAILED/);
    }, '[server]\nstall_timeout = 1\n'));
}
