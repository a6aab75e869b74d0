// Runs fuzz cases in-process: each case's input is made from its own seed, so a run is
// reproduced by its seed (FUZZ_SEED) alone. Checks: no crash, no case past its deadline (a
// watchdog thread kills a process stuck in synchronous work), RSS within a bound, and nothing
// outside the run's sandbox written or removed.
import { ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { makeTempDir } from '../helpers/tempDir.js';
import { Rng, caseSeed, makeInput } from './random.js';
import { isCleanRefusal, makeTargets, type Target } from './targets.js';

export interface FuzzOptions {
  seed: number;
  cases: number;
  /** Deadline of one case. */
  caseMs?: number;
  /** How far RSS may grow above what it was after the first cases. */
  rssGrowthMb?: number;
  log?: (line: string) => void;
}

export interface FuzzResult {
  cases: number;
  perTarget: Record<string, number>;
  refusals: number;
  maxRssMb: number;
}

// Kills the whole process if the case counter stops moving: a synchronous loop never yields
// to a timer, so only another thread can notice it.
const WATCHDOG = `
const { workerData } = require('node:worker_threads');
const { writeSync } = require('node:fs');
const counter = new Int32Array(workerData.shared);
let last = -1, since = Date.now();
setInterval(() => {
  const now = Atomics.load(counter, 0);
  if (now !== last) { last = now; since = Date.now(); return; }
  if (now >= 0 && Date.now() - since > workerData.ms) {
    writeSync(2, 'fuzz: case ' + now + ' hung (no progress for ' + workerData.ms + ' ms); reproduce with FUZZ_SEED=' + workerData.seed + '\\n');
    process.kill(process.pid, 'SIGKILL');
  }
}, 1000);
`;

/**
 * Counts the processes started while `fn` runs: every spawn (execa included) goes through
 * ChildProcess.prototype.spawn. The targets decode in-process; none may start anything.
 */
async function countingSpawns<T>(fn: () => Promise<T>): Promise<{ value: T; spawned: string[] }> {
  // Not in the typings, but the one door: child_process.spawn calls it on a new ChildProcess.
  const proto = ChildProcess.prototype as unknown as { spawn: (this: ChildProcess, options: { file?: string }) => unknown };
  const original = proto.spawn;
  const spawned: string[] = [];
  proto.spawn = function (options) {
    spawned.push(String(options?.file));
    return original.call(this, options);
  };
  try {
    return { value: await fn(), spawned };
  } finally {
    proto.spawn = original;
  }
}

/** Every path below `dir` with a digest of what it is: the sandbox's outside must not change. */
async function snapshot(dir: string, prefix = ''): Promise<string[]> {
  const out: string[] = [];
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = join(prefix, name);
    const st = await lstat(join(dir, rel));
    if (st.isDirectory()) out.push(`${rel}/`, ...(await snapshot(dir, rel)));
    else out.push(`${rel} ${st.mode} ${st.isFile() ? createHash('sha256').update(await readFile(join(dir, rel))).digest('hex') : ''}`);
  }
  return out;
}

function pickTarget(rng: Rng, targets: Target[]): Target {
  const total = targets.reduce((n, t) => n + t.weight, 0);
  let r = rng.int(total);
  for (const t of targets) {
    if (r < t.weight) return t;
    r -= t.weight;
  }
  return targets[0] as Target;
}

async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function runFuzz(opts: FuzzOptions): Promise<FuzzResult> {
  const { value, spawned } = await countingSpawns(() => fuzzCases(opts));
  const unexpected = spawned.filter((file) => !/(^|\/)tar$/.test(file));
  if (unexpected.length > 0) throw new Error(`fuzz: cases started processes other than tar (${unexpected.slice(0, 5).join(', ')}); FUZZ_SEED=${opts.seed}`);
  return value;
}

async function fuzzCases(opts: FuzzOptions): Promise<FuzzResult> {
  const log = opts.log ?? (() => undefined);
  const caseMs = opts.caseMs ?? 10_000;
  const rssGrowth = (opts.rssGrowthMb ?? 256) * 1024 * 1024;
  // tmpfs when there is one: the link and extraction cases make and remove small trees.
  const tmp = await makeTempDir('zrm-fuzz-', (await stat('/dev/shm').catch(() => undefined))?.isDirectory() ? '/dev/shm' : undefined);
  const box = { dir: join(tmp.path, 'box') };
  const outside = join(tmp.path, 'outside');
  await mkdir(box.dir);
  const targets = await makeTargets(box);
  await mkdir(join(outside, 'dir'), { recursive: true });
  await writeFile(join(outside, 'secret'), 'must stay as it is');
  await writeFile(join(outside, 'dir', 'file'), 'and so must this');
  const before = await snapshot(tmp.path).then((s) => s.filter((l) => !l.startsWith('box')));

  const shared = new SharedArrayBuffer(4);
  const counter = new Int32Array(shared);
  Atomics.store(counter, 0, -1);
  const watchdog = new Worker(WATCHDOG, { eval: true, workerData: { shared, ms: caseMs * 3, seed: opts.seed } });
  watchdog.unref();

  const result: FuzzResult = { cases: 0, perTarget: {}, refusals: 0, maxRssMb: 0 };
  let baseRss = 0;
  try {
    for (let i = 0; i < opts.cases; i++) {
      Atomics.store(counter, 0, i);
      const rng = new Rng(caseSeed(opts.seed, i));
      const target = pickTarget(rng, targets);
      const input = makeInput(rng, target.seeds);
      const what = `case ${i} (${target.name}, ${input.length} bytes; FUZZ_SEED=${opts.seed})`;
      try {
        await withDeadline(target.run(input, rng, box, i), caseMs, what);
      } catch (err) {
        if (!isCleanRefusal(err)) {
          const e = err instanceof Error ? err : new Error(String(err));
          throw new Error(`fuzz: ${what} crashed: ${e.stack ?? e.message}\ninput (base64): ${input.subarray(0, 4096).toString('base64')}`);
        }
        result.refusals++;
      }
      result.cases++;
      result.perTarget[target.name] = (result.perTarget[target.name] ?? 0) + 1;
      if (i % 500 === 0) {
        const rss = process.memoryUsage().rss;
        if (i === 1000 || baseRss === 0) baseRss = rss;
        result.maxRssMb = Math.max(result.maxRssMb, Math.round(rss / 1048576));
        if (rss - baseRss > rssGrowth) throw new Error(`fuzz: RSS grew to ${Math.round(rss / 1048576)} MB by case ${i} (FUZZ_SEED=${opts.seed})`);
        if (i % 20_000 === 0 && i > 0) log(`fuzz: ${i} cases, RSS ${Math.round(rss / 1048576)} MB`);
      }
    }
    const after = await snapshot(tmp.path).then((s) => s.filter((l) => !l.startsWith('box')));
    if (after.join('\n') !== before.join('\n')) {
      throw new Error(`fuzz: files outside the sandbox changed (FUZZ_SEED=${opts.seed}):\n${after.filter((l) => !before.includes(l)).join('\n')}`);
    }
  } finally {
    Atomics.store(counter, 0, -1);
    await watchdog.terminate();
    await tmp.cleanup();
  }
  return result;
}
