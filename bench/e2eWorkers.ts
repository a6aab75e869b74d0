// The two ends of the end-to-end case, each in its own worker process: our socket server
// behind a loopback listener, and the copy plugin pulling a file from it.
import { readFile } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Writable } from 'node:stream';
import { sendMessage } from 'execa';
import { runCopyPlugin } from '../src/client/index.js';
import { appConfigFrom, type AppConfig, type ClientProtocol } from '../src/config/appConfig.js';
import { createLogger, flushLogger } from '../src/logging/logger.js';
import { runServer } from '../src/server/index.js';
import { listenOnce } from './loopback.js';
import { ownCpuSeconds, ownPeakRssKiB, type WorkerResult } from './measure.js';

export interface E2eServerArgs {
  /** Temp root: the only allowed root, scratch space, and where the log goes. */
  root: string;
  /** Run mariabackup against this database (the redirect armed in stateDir) instead of tar. */
  backup?: { socket: string; stateDir: string };
}

export interface E2eClientArgs {
  root: string;
  port: number;
  protocol: ClientProtocol;
  file: string;
  dest: string;
  bytes: number;
  /** [client] compression (bench/compression.ts); absent: off. */
  compression?: string;
}

/** A config as the ini file would give it: only the temp root is reachable, nothing is armed. */
function benchAppConfig(root: string, protocol: ClientProtocol = 'auto', backup?: E2eServerArgs['backup'], compression = 'off'): AppConfig {
  return appConfigFrom({
    server: { allowed_roots: root },
    state: { dir: backup?.stateDir ?? join(root, 'no-state-dir') },
    backup: backup ? { tmp_dir: root, tool: 'mariabackup', socket: backup.socket } : { tmp_dir: root },
    client: { protocol, compression },
  });
}

function closeSocket(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.end(() => socket.destroy());
  });
}

/** Serves one connection, as socket-server does under xinetd, and reports its own peak RSS. */
export async function e2eServerTask(args: E2eServerArgs): Promise<WorkerResult> {
  const config = benchAppConfig(args.root, 'auto', args.backup);
  const logFile = join(args.root, 'server.log');
  const logger = createLogger({ file: logFile, level: 'info', label: 'bench-server' });
  const { port, accepted } = await listenOnce();
  await sendMessage({ kind: 'ready', port });
  const socket = await accepted;
  socket.on('error', () => undefined);
  const started = performance.now();
  const code = await runServer({ input: socket, output: socket }, { config, logger, toolLog: logger, env: process.env, peer: 'bench' });
  await closeSocket(socket);
  const wallMs = performance.now() - started;
  await flushLogger(logger);
  if (code !== 0) throw new Error(`runServer exited ${code}; log:\n${await readFile(logFile, 'utf8').catch(() => '')}`);
  return { kind: 'result', wallMs, bytes: 0, rssKiB: ownPeakRssKiB(), cpuS: ownCpuSeconds() };
}

class Sink extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** `socket-copy.palomino.pl --source-host 127.0.0.1 ...`: the copy plugin pulling one file. */
export async function e2eClientTask(args: E2eClientArgs): Promise<WorkerResult> {
  const stdout = new Sink();
  const stderr = new Sink();
  const argv = [
    '--source-host', '127.0.0.1', '--source-file', args.file,
    '--destination-host', 'localhost', '--destination-directory', args.dest,
  ];
  const started = performance.now();
  const code = await runCopyPlugin(argv, {
    env: process.env,
    config: benchAppConfig(args.root, args.protocol, undefined, args.compression),
    logger: createLogger({}),
    stdout,
    stderr,
    zrmConf: new Map([['socket-remote-port', String(args.port)]]),
  });
  const wallMs = performance.now() - started;
  if (code !== 0) throw new Error(`runCopyPlugin exited ${code}: ${stderr.text}`);
  return { kind: 'result', wallMs, bytes: args.bytes, rssKiB: ownPeakRssKiB(), cpuS: ownCpuSeconds() };
}
