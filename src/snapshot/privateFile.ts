import { constants } from 'node:fs';
import { open, rename, rm, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitError, errorMessage } from '../errors.js';
import { octal, openStateDir, ownUid } from './stateDir.js';

// Small line-per-field files in the state directory (the armed state, the run lock): written
// atomically and privately, read only after checking they are private regular files of ours.

async function requireStateDir(dir: string): Promise<FileHandle> {
  const handle = await openStateDir(dir);
  if (handle === null) throw new ExitError(`state directory ${dir} does not exist (create-snapshot makes it)`);
  return handle;
}

/** Writes `lines` to dir/name: a private temp file in the same directory, fsync, rename. */
export async function writePrivateLines(dir: string, name: string, lines: readonly string[]): Promise<void> {
  if (lines.some((l) => /[\r\n]/.test(l))) throw new ExitError(`cannot write ${name}: a value contains a line break`);
  const dirHandle = await requireStateDir(dir);
  // Loaded here: most plugin calls (get-vm-device-details above all) write nothing.
  const { randomBytes } = await import('node:crypto');
  const tmp = join(dir, `.${name}.${process.pid}.${randomBytes(6).toString('hex')}`);
  try {
    const fh = await open(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      await fh.chmod(0o600); // whatever the umask
      await fh.writeFile(lines.map((l) => `${l}\n`).join(''));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, join(dir, name));
    await dirHandle.sync();
  } catch (err) {
    await rm(tmp, { force: true });
    if (err instanceof ExitError) throw err;
    throw new ExitError(`cannot write ${join(dir, name)}: ${errorMessage(err)}`, undefined, { cause: err });
  } finally {
    await dirHandle.close();
  }
}

/** Opens the file without following a symlink or blocking on a FIFO; null when absent. */
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

/** The file's lines (no trailing empty one), or null when it or the directory is absent. */
export async function readPrivateLines(dir: string, name: string): Promise<string[] | null> {
  const dirHandle = await openStateDir(dir);
  if (dirHandle === null) return null;
  await dirHandle.close();
  const path = join(dir, name);
  const fh = await openStateFile(path);
  if (fh === null) return null;
  try {
    const st = await fh.stat();
    const refuse = (why: string) => new ExitError(`state file ${path} ${why}; refusing to read it (remove it)`);
    if (!st.isFile()) throw refuse('is not a regular file');
    if (st.uid !== ownUid()) throw refuse(`is owned by uid ${st.uid}, not by uid ${ownUid()}`);
    if (st.mode & 0o077) throw refuse(`has mode ${octal(st.mode)}, open to group or others`);
    const lines = (await fh.readFile('utf8')).split('\n');
    if (lines.at(-1) === '') lines.pop();
    return lines;
  } finally {
    await fh.close();
  }
}

/** Removes dir/name; nothing to remove (no file, no directory) is fine. */
export async function removePrivateFile(dir: string, name: string): Promise<void> {
  const dirHandle = await openStateDir(dir);
  if (dirHandle === null) return;
  await dirHandle.close();
  try {
    await unlink(join(dir, name));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new ExitError(`cannot remove state file ${join(dir, name)}: ${errorMessage(err)}`, undefined, { cause: err });
  }
}

/** Clock skew tolerated between a stamp and now; beyond it a future stamp is stale. */
const FUTURE_SKEW_SECONDS = 300;

/** Why a stamp is stale (too old, or from the future), or null when it is fresh. */
export function staleness(stampedAt: Date, maxAgeSeconds: number, now: Date): string | null {
  const age = Math.floor((now.getTime() - stampedAt.getTime()) / 1000);
  if (age > maxAgeSeconds) return `${age} s ago, older than ${maxAgeSeconds} s`;
  if (-age > FUTURE_SKEW_SECONDS) return `${-age} s in the future (clock changed?), more than the ${FUTURE_SKEW_SECONDS} s of skew allowed`;
  return null;
}
