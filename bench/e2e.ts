// End to end over loopback TCP: our socket server serving `copy from` of one large file (the
// tar branch) to our copy plugin, in v2 and in 1.8b5 framing, against the same copy done by
// `tar -c | tar -x` through a kernel pipe (a FIFO, so no Node process sits in the middle).
import { mkdir, open, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { execa } from 'execa';
import type { ClientProtocol } from '../src/config/appConfig.js';
import type { BenchConfig } from './config.js';
import { fileSha256, writeDataFile } from './data.js';
import type { E2eClientArgs, E2eServerArgs } from './e2eWorkers.js';
import { runTool, startWorker, type ToolRun, workerResult, type WorkerMessage } from './measure.js';
import type { Row } from './report.js';
import type { Plan, Run } from './rounds.js';

function largest(parts: Record<string, number | null>): number | null {
  const values = Object.values(parts);
  return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
}

async function checkCopy(copy: string, sha256: string, what: string): Promise<void> {
  const got = await fileSha256(copy);
  if (got !== sha256) throw new Error(`${what}: the copy ${copy} differs from the source (sha256 ${got})`);
}

async function tarBaseline(file: string, dest: string, tmp: string, bytes: number): Promise<Row> {
  const fifo = join(tmp, 'tar.fifo');
  await execa('mkfifo', ['-m', '600', fifo]);
  await mkdir(dest);
  const started = performance.now();
  // The same options our server and client give tar (src/tar/tar.ts).
  const create = runTool('tar', ['--same-owner', '-c', '-p', '-h', '-f', fifo, '-C', dirname(file), '--', basename(file)], join(tmp, 'tar-c.rss'));
  const extract = runTool('tar', ['--same-owner', '-x', '-i', '-p', '-f', fifo, '-C', dest], join(tmp, 'tar-x.rss'));
  // If one tar fails before opening the FIFO, the other would wait on it for ever: opening it
  // both ways once gives that one its missing peer (EOF for a reader, EPIPE for a writer).
  const unblock = () => open(fifo, 'r+').then((fh) => fh.close()).catch(() => undefined);
  const guarded = <T>(p: Promise<T>): Promise<T> =>
    p.catch(async (err: unknown) => {
      await unblock();
      throw err;
    });
  let c: ToolRun;
  let x: ToolRun;
  try {
    [c, x] = await Promise.all([guarded(create), guarded(extract)]);
  } finally {
    await rm(fifo, { force: true });
  }
  const wallMs = performance.now() - started;
  const rssParts = { 'tar -c': c.rssKiB, 'tar -x': x.rssKiB };
  return { name: 'tar -c | tar -x', wallMs, bytes, rssKiB: largest(rssParts), rssParts };
}

/** Our server (own worker) serving `copy from` of `file` to our copy plugin (own worker). */
export async function ourCopy(
  protocol: ClientProtocol, file: string, dest: string, tmp: string, bytes: number,
  backup?: E2eServerArgs['backup'],
  compression?: string,
): Promise<Row> {
  await mkdir(dest);
  const server = startWorker('e2e-server', { root: tmp, backup } satisfies E2eServerArgs);
  try {
    const ready = (await server.getOneMessage()) as WorkerMessage;
    if (ready.kind !== 'ready') throw new Error(`server worker said ${JSON.stringify(ready)}`);
    const clientArgs: E2eClientArgs = { root: tmp, port: ready.port, protocol, file, dest, bytes, ...(compression ? { compression } : {}) };
    const client = await workerResult(startWorker('e2e-client', clientArgs));
    const served = await workerResult(server);
    const rssParts = { client: client.rssKiB, server: served.rssKiB };
    const cpuParts = { server: served.cpuS ?? 0, client: client.cpuS ?? 0 };
    return { name: `${protocol} server -> client`, wallMs: client.wallMs, bytes, rssKiB: largest(rssParts), rssParts, cpuParts };
  } catch (err) {
    server.kill();
    await server.catch(() => undefined);
    throw err;
  }
}

/** Each run copies into a fresh directory; the copy is checked, outside the timing, then removed. */
export function checkedRun(name: string, dest: string, file: string, sha256: string, copy: () => Promise<Row>): Run {
  return {
    name,
    run: async () => {
      try {
        const row = await copy();
        await checkCopy(join(dest, basename(file)), sha256, name);
        return row;
      } finally {
        await rm(dest, { recursive: true, force: true });
      }
    },
  };
}

/** Parent side: one source file, copied three ways. */
export async function e2ePlan(cfg: BenchConfig, tmp: string): Promise<Plan> {
  const srcDir = join(tmp, 'e2e-src');
  await mkdir(srcDir);
  const file = join(srcDir, 'bench.dat');
  const sha256 = await writeDataFile(file, cfg.bytes);
  const dest = (n: string): string => join(tmp, `e2e-dest-${n}`);
  return {
    group: 'e2e',
    what: `copy from of one ${(cfg.bytes / 1024 / 1024).toFixed(0)} MiB file over loopback TCP (server and client in separate processes)`,
    runs: [
      checkedRun('tar -c | tar -x', dest('tar'), file, sha256, () => tarBaseline(file, dest('tar'), tmp, cfg.bytes)),
      checkedRun('v2 server -> client', dest('v2'), file, sha256, () => ourCopy('v2', file, dest('v2'), tmp, cfg.bytes)),
      checkedRun('legacy server -> client', dest('legacy'), file, sha256, () => ourCopy('legacy', file, dest('legacy'), tmp, cfg.bytes)),
    ],
    cleanup: () => rm(srcDir, { recursive: true, force: true }),
  };
}
