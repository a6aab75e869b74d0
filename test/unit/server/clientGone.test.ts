import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { runServer } from '../../../src/server/index.js';
import type { ServerIo } from '../../../src/server/context.js';
import { armState, ensureStateDir } from '../../../src/snapshot/state.js';
import { LEGACY_VERSION, V2_VERSION, header, withServerEnv, writeExecutable, type ServerEnv } from './harness.js';
import { socketPair } from '../../helpers/socketPair.js';

// A backup tool that hangs without output (waiting for its lock, or stuck) while the client's
// connection closes (the client gave up, or [server] idle_timeout cut it off): nothing is written,
// so no write fails. The tool must still be stopped at once, not left holding its lock until
// request_timeout, and the request must fail.

/** A client connection that takes whatever comes, and is closed after `ms`. */
class ClosingClient extends Writable {
  constructor(ms: number) {
    super();
    setTimeout(() => this.destroy(), ms);
  }
  override _write(_chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    done();
  }
}

/** Arms a run whose backup tool answers the version probe, then hangs without a byte; its pid file. */
async function armHungTool(env: ServerEnv, tool: 'innobackupex' | 'mariabackup'): Promise<string> {
  const pidFile = join(env.root, 'tool.pid');
  const hung = join(env.root, `hung-${tool}.sh`);
  await writeExecutable(
    hung,
    `#!/bin/bash\nfor a; do [ "$a" = --version ] && { echo "${tool} based on MariaDB server 10.11.6-MariaDB Linux (x86_64)" >&2; echo "innobackupex version 2.4.29 Linux (x86_64)" >&2; exit 0; }; done\n` +
      `echo $$ > ${pidFile}\nexec sleep 25\n`,
  );
  env.config.backup.tool = tool;
  env.config.backup.toolPath = hung;
  await ensureStateDir(env.state);
  await armState(env.state, { user: 'u', password: 'a-long-password' });
  return pidFile;
}

/** runServer on `io` with its own logs: its status, how long it took, and its log. */
async function serveTimed(env: ServerEnv, io: ServerIo): Promise<{ status: number; seconds: number; log: string }> {
  const logFile = join(env.root, 'server.log');
  const logger = createLogger({ file: logFile, level: 'debug' });
  const toolLog = createLogger({ file: join(env.root, 'tool.log') });
  const started = Date.now();
  const status = await runServer(io, { config: env.config, logger, toolLog, env: { PATH: process.env.PATH }, peer: 'test' });
  const seconds = (Date.now() - started) / 1000;
  await flushLogger(logger);
  await flushLogger(toolLog);
  return { status, seconds, log: await readFile(logFile, 'utf8') };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

const CASES = [
  [V2_VERSION, 'innobackupex', 'fault: client connection closed while the backup tool hangs silent | v2 | the tool is stopped at once; the request fails "connection closed"'],
  [LEGACY_VERSION, 'innobackupex', 'fault: client connection closed while the backup tool hangs silent | 1.8b5 | the tool is stopped at once; the request fails "connection closed"'],
  [LEGACY_VERSION, 'mariabackup', '1.8b5, xbstream tool unpacked for re-sending as tar: a closed client connection stops the hung tool'],
] as const;

for (const [version, tool, name] of CASES) {
  test(name, () =>
    withServerEnv(async (env) => {
      const pidFile = await armHungTool(env, tool);
      const input = new PassThrough();
      input.end(header(version, 'copy from', `${join(env.data, 'ZRM_LINKS')}/.`, env.tmp));
      const { status, seconds, log } = await serveTimed(env, { input, output: new ClosingClient(1500) });
      const pid = Number(await readFile(pidFile, 'utf8'));
      assert.equal(status, 1, log);
      assert.ok(seconds < 20, `the server waited ${seconds.toFixed(1)} s for a tool whose client was gone`);
      assert.equal(alive(pid), false, `the hung tool (pid ${pid}) outlived the request`);
      assert.match(log, /connection closed before the stream ended/);
      assert.match(log, /outcome=FAILED/);
    }),
  );
}

test('v2: a client that exits (a plain close, its FIN) while the backup tool hangs silent stops the tool at once', () =>
  withServerEnv(async (env) => {
    const pidFile = await armHungTool(env, 'innobackupex');
    const [client, server] = await socketPair({ allowHalfOpen: true });
    client.on('error', () => undefined);
    client.write(header(V2_VERSION, 'copy from', `${join(env.data, 'ZRM_LINKS')}/.`, env.tmp));
    setTimeout(() => client.end(), 1500);
    const { status, seconds, log } = await serveTimed(env, { input: server, output: server });
    client.destroy();
    server.destroy();
    const pid = Number(await readFile(pidFile, 'utf8'));
    assert.equal(status, 1, log);
    assert.ok(seconds < 20, `the server waited ${seconds.toFixed(1)} s for a tool whose client had left`);
    assert.equal(alive(pid), false, `the hung tool (pid ${pid}) outlived the request`);
    assert.match(log, /connection closed before the stream ended/);
  }));
