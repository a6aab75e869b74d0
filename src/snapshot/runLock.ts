import { join } from 'node:path';
import { ExitError, errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { readPrivateLines, removePrivateFile, staleness, writePrivateLines } from './privateFile.js';
import { describeRun, sameRun, type RunKey } from './runKey.js';

// One backup run at a time on a database host: create-snapshot takes the lock, remove-snapshot
// gives it back. A second run is refused clearly instead of silently disarming the first (which
// then copied live InnoDB files and called it a backup). File `lock`: epoch, set, destination.

const LOCK_FILE = 'lock';

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

/** Another run's fresh lock, or null when `run` may go ahead (free, stale, or its own). */
async function otherRunHolding(dir: string, run: RunKey, maxAgeSeconds: number, logger: Logger, now = new Date()): Promise<Lock | null> {
  const lock = await readLock(dir);
  if (lock === null || sameRun(lock.run, run)) return null;
  const stale = staleness(lock.takenAt, maxAgeSeconds, now);
  if (stale === null) return lock;
  logger.warn(`taking over a stale lock of ${describeRun(lock.run)}: taken ${stale}`);
  return null;
}

function busy(lock: Lock, run: RunKey): ExitError {
  return new ExitError(
    `another backup is running on this host: ${describeRun(lock.run)} since ${lock.takenAt.toISOString()}; ` +
      `refusing ${describeRun(run)} (run them one after the other)`,
  );
}

/** create-snapshot: takes the lock for `run`, or refuses while another run holds it. */
export async function takeRunLock(dir: string, run: RunKey, maxAgeSeconds: number, logger: Logger, now = new Date()): Promise<void> {
  const held = await otherRunHolding(dir, run, maxAgeSeconds, logger, now);
  if (held) throw busy(held, run);
  try {
    await writePrivateLines(dir, LOCK_FILE, [String(Math.floor(now.getTime() / 1000)), run.set, run.destination]);
  } catch (err) {
    throw new ExitError(`cannot take the run lock in ${dir}: ${errorMessage(err)}`, undefined, { cause: err });
  }
}

/** mount: refuses while another run holds the lock (it would replace that run's state). */
export async function requireRunLock(dir: string, run: RunKey, maxAgeSeconds: number, logger: Logger): Promise<void> {
  const held = await otherRunHolding(dir, run, maxAgeSeconds, logger);
  if (held) throw busy(held, run);
}

/** remove-snapshot: gives the lock back, only if it is `run`'s own. */
export async function releaseRunLock(dir: string, run: RunKey, logger: Logger): Promise<void> {
  const lock = await readLock(dir).catch(() => null);
  if (lock !== null && !sameRun(lock.run, run)) {
    logger.warn(`not releasing the lock of ${describeRun(lock.run)} for ${describeRun(run)}`);
    return;
  }
  await removePrivateFile(dir, LOCK_FILE);
}
