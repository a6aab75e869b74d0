import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitError, errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { octal, openStateDir, ownUid } from './stateDir.js';

export { ensureStateDir } from './stateDir.js';

// The "armed" state: between ZRM's mount and umount, the socket server finds here the database
// credentials ZRM would otherwise have deleted, and runs the backup tool instead of tar.
// File `running`: line 1 epoch seconds, line 2 user, line 3 password.

export const STATE_FILE = 'running';

export interface Credentials {
  user: string;
  password: string;
}

export interface ArmedState extends Credentials {
  armedAt: Date;
}

async function requireStateDir(dir: string): Promise<FileHandle> {
  const handle = await openStateDir(dir);
  if (handle === null) throw new ExitError(`state directory ${dir} does not exist (create-snapshot makes it)`);
  return handle;
}

/** Writes the state file atomically: a private temp file in the same directory, fsync, rename. */
export async function armState(dir: string, creds: Credentials, now: Date = new Date()): Promise<void> {
  if (creds.user === '') throw new ExitError('cannot arm: the database user is empty');
  if (/[\r\n]/.test(creds.user) || /[\r\n]/.test(creds.password)) {
    throw new ExitError('cannot arm: the database user or password contains a line break');
  }
  const dirHandle = await requireStateDir(dir);
  const tmp = join(dir, `.${STATE_FILE}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await fh.chmod(0o600); // whatever the umask
      await fh.writeFile(`${Math.floor(now.getTime() / 1000)}\n${creds.user}\n${creds.password}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, STATE_FILE));
    await dirHandle.sync();
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof ExitError) throw err;
    throw new ExitError(`cannot write state file in ${dir}: ${errorMessage(err)}`, undefined, { cause: err });
  } finally {
    await dirHandle.close();
  }
}

/** Removes the state file; nothing to remove (no file, no directory) is fine. */
export async function disarmState(dir: string): Promise<void> {
  const dirHandle = await openStateDir(dir);
  if (dirHandle === null) return;
  await dirHandle.close();
  try {
    await unlink(join(dir, STATE_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ExitError(`cannot remove state file ${join(dir, STATE_FILE)}: ${errorMessage(err)}`, undefined, { cause: err });
  }
}

/** Opens the state file without following a symlink or blocking on a FIFO; null when absent. */
async function openStateFile(path: string): Promise<FileHandle | null> {
  try {
    return await open(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP') throw new ExitError(`state file ${path} is a symbolic link; refusing to read it (remove it)`);
    throw new ExitError(`cannot open state file ${path}: ${errorMessage(err)}`, undefined, { cause: err });
  }
}

/** Reads the file's text only after checking it is a private regular file of ours. */
async function readSafely(path: string, fh: FileHandle): Promise<string> {
  const st = await fh.stat();
  const refuse = (why: string) => new ExitError(`state file ${path} ${why}; refusing to read it (remove it)`);
  if (!st.isFile()) throw refuse('is not a regular file');
  if (st.uid !== ownUid()) throw refuse(`is owned by uid ${st.uid}, not by uid ${ownUid()}`);
  if (st.mode & 0o077) throw refuse(`has mode ${octal(st.mode)}, open to group or others`);
  return fh.readFile('utf8');
}

function parseState(path: string, text: string): ArmedState {
  const lines = text.split('\n');
  if (lines.length === 4 && lines[3] === '') lines.pop();
  const [epoch, user, password] = lines;
  if (lines.length !== 3 || epoch === undefined || !/^\d+$/.test(epoch) || !user || password === undefined) {
    throw new ExitError(`state file ${path} is malformed (expected epoch seconds, user, password); remove it`);
  }
  return { user, password, armedAt: new Date(Number(epoch) * 1000) };
}

/**
 * The armed credentials, or null when not armed. A state older than maxAgeSeconds is removed
 * (a run that died before umount must not turn later plain copies into backups). An unsafe
 * state file or directory is refused with an ExitError, and logged.
 */
export async function readArmedState(
  dir: string,
  maxAgeSeconds: number,
  logger: Logger,
  now: Date = new Date(),
): Promise<ArmedState | null> {
  const path = join(dir, STATE_FILE);
  let state: ArmedState;
  try {
    const dirHandle = await openStateDir(dir);
    if (dirHandle === null) return null;
    await dirHandle.close();
    const fh = await openStateFile(path);
    if (fh === null) return null;
    try {
      state = parseState(path, await readSafely(path, fh));
    } finally {
      await fh.close();
    }
  } catch (err) {
    logger.error(errorMessage(err));
    throw err;
  }
  const age = Math.floor((now.getTime() - state.armedAt.getTime()) / 1000);
  if (age > maxAgeSeconds) {
    await disarmState(dir);
    logger.warn(`removed stale state file ${path}: armed ${age} s ago, older than ${maxAgeSeconds} s`);
    return null;
  }
  return state;
}
