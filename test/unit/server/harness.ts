// Runs the socket server's runServer over a PassThrough (the request) and a collecting Writable
// (the reply), with everything it touches (state, temp space, allowed root, logs) in a temp dir.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parseAppConfig, type AppConfig } from '../../../src/config/appConfig.js';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { LEGACY_VERSION, V2_VERSION } from '../../../src/protocol/versions.js';
import { runServer } from '../../../src/server/index.js';
import type { ServerDeps } from '../../../src/server/context.js';
import { makeTempDir } from '../../helpers/tempDir.js';

export { LEGACY_VERSION, V2_VERSION };

/** test/fixtures/server of this checkout (tests run from build/test/unit/server). */
export const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/server/', import.meta.url));

export interface ServerEnv {
  root: string;
  /** The one allowed root. */
  data: string;
  state: string;
  tmp: string;
  /** What /etc/mysql-zrm/plugin-path would be; absent unless a test writes it. */
  pluginPathFile: string;
  config: AppConfig;
  cleanup: () => Promise<void>;
}

export async function makeServerEnv(extraConfig = ''): Promise<ServerEnv> {
  const t = await makeTempDir('zrm-server-');
  const env = {
    root: t.path,
    data: join(t.path, 'data'),
    state: join(t.path, 'state'),
    tmp: join(t.path, 'tmp'),
    pluginPathFile: join(t.path, 'plugin-path'),
    cleanup: t.cleanup,
  };
  await mkdir(env.data);
  await mkdir(env.tmp);
  const config = parseAppConfig(
    `[backup]\ntmp_dir = ${env.tmp}\n[state]\ndir = ${env.state}\n[server]\nallowed_roots = ${env.data}\n` +
      `plugin_dir = ${join(t.path, 'no-plugins')}\n${extraConfig}`,
  );
  return { ...env, config };
}

export async function withServerEnv(fn: (env: ServerEnv) => Promise<void>, extraConfig = ''): Promise<void> {
  const env = await makeServerEnv(extraConfig);
  try {
    await fn(env);
  } finally {
    await env.cleanup();
  }
}

/** The five request lines. */
export function header(version: string, action: string, params: string, tmpdir = '/tmp', binpath = '/usr/bin'): string {
  return `${version}\n${action}\n${params}\n${tmpdir}\n${binpath}\n`;
}

class Collector extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
}

export interface Served {
  status: number;
  output: Buffer;
  /** The server's own log file, complete. */
  log: string;
}

let serial = 0;

/** Sends `request` (all of it, then EOF) to runServer and collects everything it answers. */
export async function serve(env: ServerEnv, request: Array<string | Buffer>, deps: Partial<ServerDeps> = {}): Promise<Served> {
  const input = new PassThrough();
  const output = new Collector();
  const logFile = join(env.root, `server-${++serial}.log`);
  const logger = createLogger({ file: logFile, level: 'debug' });
  const toolLog = createLogger({ file: join(env.root, 'tool.log') });
  for (const part of request) input.write(part);
  input.end();
  const status = await runServer(
    { input, output },
    { config: env.config, logger, toolLog, env: { PATH: process.env.PATH }, peer: 'test', ...deps },
  );
  await flushLogger(logger);
  await flushLogger(toolLog);
  return { status, output: Buffer.concat(output.chunks), log: await readFile(logFile, 'utf8').catch(() => '') };
}

export function readerOf(data: Buffer): StreamReader {
  return new StreamReader(Readable.from([data]));
}

export async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of gen) parts.push(part);
  return Buffer.concat(parts);
}

/** A status block parsed strictly: SUCCESS/ERROR, N, exactly N lines, nothing after. */
export function parseStatus(text: string): { ok: boolean; lines: string[] } {
  const all = text.split('\n');
  if (all.pop() !== '') throw new Error(`status block does not end with a newline: ${JSON.stringify(text)}`);
  const [word, count, ...lines] = all;
  if (word !== 'SUCCESS' && word !== 'ERROR') throw new Error(`not a status block: ${JSON.stringify(text)}`);
  if (Number(count) !== lines.length) throw new Error(`count ${count} but ${lines.length} lines: ${JSON.stringify(text)}`);
  return { ok: word === 'SUCCESS', lines };
}

export async function writeExecutable(path: string, text: string): Promise<void> {
  await writeFile(path, text, { mode: 0o755 });
}
