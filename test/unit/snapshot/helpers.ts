import { Writable } from 'node:stream';
import winston from 'winston';
import { DEFAULT_CONFIG, type AppConfig } from '../../../src/config/appConfig.js';
import type { Logger } from '../../../src/logging/logger.js';
import { runSnapshotPlugin, type SnapshotContext } from '../../../src/snapshot/runSnapshotPlugin.js';

/** A Writable that keeps everything written to it. */
export class Capture extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.chunks.push(Buffer.from(chunk));
    done();
  }
  get text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** A logger that keeps `level: message` lines in memory, unredacted, so a leak would show. */
export function memoryLogger(): { logger: Logger; lines: string[] } {
  const lines: string[] = [];
  const sink = new Writable({
    objectMode: true,
    write(info: { level: string; message: string }, _enc, done) {
      lines.push(`${info.level}: ${info.message}`);
      done();
    },
  });
  const logger = winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream: sink })] });
  return { logger, lines };
}

export function configWithStateDir(dir: string): AppConfig {
  const config = structuredClone(DEFAULT_CONFIG);
  config.state.dir = dir;
  return config;
}

export interface TestContext extends SnapshotContext {
  stdout: Capture;
  stderr: Capture;
  lines: string[];
}

export function makeContext(stateDir: string, env: NodeJS.ProcessEnv = {}): TestContext {
  const { logger, lines } = memoryLogger();
  return {
    env: { PATH: process.env.PATH, ...env },
    config: configWithStateDir(stateDir),
    logger,
    stdout: new Capture(),
    stderr: new Capture(),
    lines,
  };
}

/** Lets winston's stream transport deliver what was logged. */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Runs the plugin and lets its log lines land before the test looks at them. */
export async function runPlugin(ctx: TestContext, argv: string[]): Promise<number> {
  const code = await runSnapshotPlugin(argv, ctx);
  await settle();
  return code;
}
