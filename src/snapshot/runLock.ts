import { link, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitError, errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { processAlive } from '../process/alive.js';
import { readPrivateLines, staleness, writePrivateLines } from './privateFile.js';
import { describeRun, sameRun, type RunKey } from './runKey.js';

// One backup run at a time on a database host: create-snapshot takes the lock, remove-snapshot
// gives it back. A second run is refused clearly instead of silently disarming the first (which
// then copied live InnoDB files and called it a backup). File `lock`: epoch, set, destination.
//
// No check-then-write: the lock is created with link(2), which fails when it exists, so of many
// create-snapshot at one instant exactly one wins. Removing a lock (a stale one, this run's own
// leftover, remove-snapshot) happens only while holding `lock.changing` (also taken by link(2),
// holding the taker's pid): a lock read and judged cannot be swapped for a fresh one before it
// is removed.

const LOCK_FILE = 'lock';
const CHANGING_FILE = 'lock.changing';
/** Tries for `lock.changing` (10-30 ms apart) before giving up: a few seconds. */
const CHANGING_TRIES = 200;

interface Lock {
  run: RunKey;
  takenAt: Date;
}

async function readLock(dir: string): Promise<Lock | null> {
  const lines = await readPrivateLines(dir, LOCK_FILE);
  if (lines === null) return null;
  const [epoch, set, destination] = lines;
  if (lines.length !== 3 || epoch === undefined || !/^\d+$/.test(epoch)) {
    throw new ExitError(`lock file ${join(dir, LOCK_FILE)} is malformed; remove it`);
  }
  return { run: { set: set ?? '', destination: destination ?? '' }, takenAt: new Date(Number(epoch) * 1000) };
}

/** Whether `lock` keeps `run` out: another run's, and fresh. */
function blocks(lock: Lock | null, run: RunKey, maxAgeSeconds: number, logger: Logger, now: Date): boolean {
  if (lock === null || sameRun(lock.run, run)) return false;
  const stale = staleness(lock.takenAt, maxAgeSeconds, now);
  if (stale === null) return true;
  logger.warn(`taking over a stale lock of ${describeRun(lock.run)}: taken ${stale}`);
  return false;
}

function busy(dir: string, lock: Lock, run: RunKey, maxAgeSeconds: number): ExitError {
  return new ExitError(
    `another backup is running on this host: ${describeRun(lock.run)} since ${lock.takenAt.toISOString()}; ` +
      `refusing ${describeRun(run)} (run them one after the other; if that run died, its lock lapses after ` +
      `[state] max_age, ${maxAgeSeconds} s, or when ${join(dir, LOCK_FILE)} is removed)`,
  );
}

/** `lines` in a private file under a unique name in `dir`, ready to be linked in. */
async function writeCandidate(dir: string, lines: readonly string[]): Promise<string> {
  // Loaded here, as in privateFile.ts: most plugin calls take no lock.
  const { randomBytes } = await import('node:crypto');
  const name = `.${LOCK_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`;
  await writePrivateLines(dir, name, lines);
  return name;
}

/** link(2) fails when the target exists: of many trying at one instant, exactly one gets it. */
async function linkIn(dir: string, candidate: string, target: string): Promise<boolean> {
  try {
    await link(join(dir, candidate), join(dir, target));
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
}

async function unlinkIfThere(path: string): Promise<void> {
  await unlink(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'ENOENT') throw err;
  });
}

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** Runs `fn` holding `lock.changing`; one left by a process that is gone is removed. */
async function whileChanging<T>(dir: string, fn: () => Promise<T>): Promise<T> {
  const mine = await writeCandidate(dir, [String(process.pid)]);
  try {
    for (let attempt = 0; !(await linkIn(dir, mine, CHANGING_FILE)); attempt++) {
      const holder = Number((await readPrivateLines(dir, CHANGING_FILE).catch(() => null))?.[0]);
      if (Number.isInteger(holder) && holder > 0 && !processAlive(holder)) {
        await unlinkIfThere(join(dir, CHANGING_FILE));
        continue;
      }
      if (attempt >= CHANGING_TRIES) throw new ExitError(`${join(dir, CHANGING_FILE)} is held by process ${holder} for too long; try again`);
      await pause(10 + Math.floor(Math.random() * 20));
    }
    try {
      return await fn();
    } finally {
      await unlinkIfThere(join(dir, CHANGING_FILE));
    }
  } finally {
    await unlinkIfThere(join(dir, mine));
  }
}

/** create-snapshot: takes the lock for `run`, or refuses while another run holds it. */
export async function takeRunLock(dir: string, run: RunKey, maxAgeSeconds: number, logger: Logger, now = new Date()): Promise<void> {
  let candidate: string | undefined;
  try {
    candidate = await writeCandidate(dir, [String(Math.floor(now.getTime() / 1000)), run.set, run.destination]);
    for (let attempt = 0; attempt < 10; attempt++) {
      if (await linkIn(dir, candidate, LOCK_FILE)) return;
      // Someone holds it: refuse, or (stale, or this run's own leftover) remove it and try again.
      await whileChanging(dir, async () => {
        const lock = await readLock(dir);
        if (lock === null) return; // gone meanwhile: just try again
        if (blocks(lock, run, maxAgeSeconds, logger, now)) throw busy(dir, lock, run, maxAgeSeconds);
        await unlinkIfThere(join(dir, LOCK_FILE));
      });
    }
    throw new ExitError(`the run lock in ${dir} keeps changing; try again`);
  } catch (err) {
    if (err instanceof ExitError) throw err;
    throw new ExitError(`cannot take the run lock in ${dir}: ${errorMessage(err)}`, undefined, { cause: err });
  } finally {
    if (candidate) await unlinkIfThere(join(dir, candidate)).catch(() => undefined);
  }
}

/** mount: refuses while another run holds the lock (it would replace that run's state). */
export async function requireRunLock(dir: string, run: RunKey, maxAgeSeconds: number, logger: Logger): Promise<void> {
  const lock = await readLock(dir);
  if (lock !== null && blocks(lock, run, maxAgeSeconds, logger, new Date())) throw busy(dir, lock, run, maxAgeSeconds);
}

/** remove-snapshot: gives the lock back, only if it is `run`'s own. */
export async function releaseRunLock(dir: string, run: RunKey, logger: Logger): Promise<void> {
  // Nothing to give back (no directory, no lock): no need to take lock.changing. A malformed lock is removed.
  if ((await readPrivateLines(dir, LOCK_FILE).catch(() => [])) === null) return;
  await whileChanging(dir, async () => {
    const lock = await readLock(dir).catch(() => null);
    if (lock !== null && !sameRun(lock.run, run)) {
      logger.warn(`not releasing the lock of ${describeRun(lock.run)} for ${describeRun(run)}`);
      return;
    }
    await unlinkIfThere(join(dir, LOCK_FILE));
  });
}
