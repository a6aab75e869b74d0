import { join } from 'node:path';
import { ExitError, errorMessage } from '../errors.js';
import type { Credentials } from '../backupTool/types.js';
import type { Logger } from '../logging/logger.js';
import { readPrivateLines, removePrivateFile, staleness, writePrivateLines } from './privateFile.js';
import { ANONYMOUS_RUN, describeRun, sameRun, type RunKey } from './runKey.js';

export { ensureStateDir } from './stateDir.js';

// The "armed" state: between ZRM's mount and umount, the socket server finds here the database
// credentials ZRM would otherwise have deleted, and runs the backup tool instead of tar.
// File `running`: line 1 epoch seconds, line 2 user, line 3 password, then (for a named run, see
// runKey.ts) line 4 the backup set and line 5 the destination of the run that armed it.

export const STATE_FILE = 'running';

export interface ArmedState extends Credentials {
  armedAt: Date;
  /** The backup run that armed it. */
  run: RunKey;
}

/** Writes the state file atomically (private temp file, fsync, rename). */
export async function armState(dir: string, creds: Credentials, now: Date = new Date(), run: RunKey = ANONYMOUS_RUN): Promise<void> {
  if (creds.user === '') throw new ExitError('cannot arm: the database user is empty');
  if (/[\r\n]/.test(creds.user) || /[\r\n]/.test(creds.password)) {
    throw new ExitError('cannot arm: the database user or password contains a line break');
  }
  const lines = [String(Math.floor(now.getTime() / 1000)), creds.user, creds.password];
  if (!sameRun(run, ANONYMOUS_RUN)) lines.push(run.set, run.destination);
  try {
    await writePrivateLines(dir, STATE_FILE, lines);
  } catch (err) {
    if (err instanceof ExitError && /does not exist|symbolic link|owned by|not a directory/.test(err.message)) throw err;
    throw new ExitError(`cannot write state file in ${dir}: ${errorMessage(err)}`, undefined, { cause: err });
  }
}

function parseState(path: string, lines: string[]): ArmedState {
  const [epoch, user, password, set, destination] = lines;
  const okLength = lines.length === 3 || lines.length === 5;
  if (!okLength || epoch === undefined || !/^\d+$/.test(epoch) || !user || password === undefined) {
    throw new ExitError(`state file ${path} is malformed (expected epoch seconds, user, password); remove it`);
  }
  return { user, password, armedAt: new Date(Number(epoch) * 1000), run: { set: set ?? '', destination: destination ?? '' } };
}

async function readState(dir: string): Promise<ArmedState | null> {
  const lines = await readPrivateLines(dir, STATE_FILE);
  return lines === null ? null : parseState(join(dir, STATE_FILE), lines);
}

/**
 * Removes the state file; nothing to remove (no file, no directory) is fine. With `run`, only
 * that run's state is removed: one backup run never disarms another (returns false then).
 */
export async function disarmState(dir: string, run?: RunKey, logger?: Logger): Promise<boolean> {
  if (run !== undefined) {
    const state = await readState(dir).catch(() => null);
    if (state !== null && !sameRun(state.run, run)) {
      logger?.warn(`not disarming: ${join(dir, STATE_FILE)} was armed by ${describeRun(state.run)}, not by ${describeRun(run)}`);
      return false;
    }
  }
  await removePrivateFile(dir, STATE_FILE);
  return true;
}

/**
 * The armed credentials, or null when not armed. A state older than maxAgeSeconds, or stamped
 * in the future beyond a small clock skew, is removed (a run that died before umount must not
 * turn later plain copies into backups). An unsafe state file or directory is refused with an
 * ExitError, and logged.
 */
export async function readArmedState(
  dir: string,
  maxAgeSeconds: number,
  logger: Logger,
  now: Date = new Date(),
): Promise<ArmedState | null> {
  const path = join(dir, STATE_FILE);
  let state: ArmedState | null;
  try {
    state = await readState(dir);
  } catch (err) {
    logger.error(errorMessage(err));
    throw err;
  }
  if (state === null) return null;
  const stale = staleness(state.armedAt, maxAgeSeconds, now);
  if (stale !== null) {
    await disarmState(dir);
    logger.warn(`removed stale state file ${path}: armed ${stale}`);
    return null;
  }
  return state;
}
