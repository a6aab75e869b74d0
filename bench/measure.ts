// Running one measured piece of work in its own process, so that its peak RSS is its own:
// our code in a Node worker (build/bench/worker.js) reporting process.resourceUsage(), a real
// tool under GNU time (%M = peak RSS in KiB).
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa, type Options } from 'execa';

const GNU_TIME = '/usr/bin/time';
const WORKER = join(dirname(fileURLToPath(import.meta.url)), 'worker.js');

/** What a worker sends back when its work is done. */
export interface WorkerResult {
  kind: 'result';
  /** Wall time of the work itself, without Node's start-up. */
  wallMs: number;
  /** Payload bytes moved. */
  bytes: number;
  /** Peak RSS of the worker process, KiB. */
  rssKiB: number;
  /** CPU seconds (user + system) the worker process used, start-up included. */
  cpuS?: number;
}

export interface WorkerReady {
  kind: 'ready';
  port: number;
}

export type WorkerMessage = WorkerResult | WorkerReady;

/** Starts `node worker.js task args`; talk to it over execa's IPC. */
export function startWorker(task: string, args: object) {
  // BENCH_CPU_PROF=DIR: every worker writes a V8 CPU profile there (open in Chrome DevTools).
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  return execa(process.execPath, [...profile, WORKER, task, JSON.stringify(args)], {
    ipc: true,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
}

/** The worker's result message (after whatever else it said). */
export async function workerResult(sub: ReturnType<typeof startWorker>): Promise<WorkerResult> {
  const done = await sub;
  const result = (done.ipcOutput as WorkerMessage[]).find((m) => m.kind === 'result');
  if (!result) throw new Error(`worker ${done.command} ended without a result; stderr: ${done.stderr}`);
  return result;
}

export async function runWorker(task: string, args: object): Promise<WorkerResult> {
  return workerResult(startWorker(task, args));
}

export const hasGnuTime = existsSync(GNU_TIME);

export interface ToolRun {
  /** Peak RSS of the tool, KiB; null without GNU time. */
  rssKiB: number | null;
  /** CPU seconds (user + system) of the tool; null without GNU time. */
  cpuS: number | null;
}

/**
 * Runs a real tool (argv array, no shell) and reports its peak RSS and CPU time. `rssFile` is a
 * scratch path for GNU time's report.
 */
export async function runTool(file: string, args: readonly string[], rssFile: string, opts: Options = {}): Promise<ToolRun> {
  if (!hasGnuTime) {
    await execa(file, args, opts);
    return { rssKiB: null, cpuS: null };
  }
  await execa(GNU_TIME, ['-f', '%M %U %S', '-o', rssFile, file, ...args], opts);
  const text = (await readFile(rssFile, 'utf8')).trim().split('\n').pop() ?? '';
  await rm(rssFile, { force: true });
  const [kib, user, sys] = text.split(' ').map(Number);
  if (kib === undefined || !Number.isFinite(kib)) throw new Error(`GNU time wrote '${text}' for ${file}`);
  return { rssKiB: kib, cpuS: (user ?? 0) + (sys ?? 0) };
}

/**
 * An open file as a child's stdin, handed to spawn as is so that no Node stream copies the data
 * (execa passes any descriptor number through; its types only list 3 to 9).
 */
export function fdStdin(fd: number): Options['stdin'] {
  return fd as unknown as Options['stdin'];
}

/** Peak RSS of this process so far, KiB. */
export function ownPeakRssKiB(): number {
  return process.resourceUsage().maxRSS;
}

/** CPU seconds (user + system) this process has used so far. */
export function ownCpuSeconds(): number {
  const u = process.resourceUsage();
  return (u.userCPUTime + u.systemCPUTime) / 1e6;
}
