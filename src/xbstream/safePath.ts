// Turning a path from the stream into a file under the extraction root, without ever leaving
// the root: no absolute paths, no '..', and no symlink followed on the way (a symlink already
// in the root must not redirect a write, so every directory is checked with lstat and every
// file is opened with O_NOFOLLOW).
import { constants } from 'node:fs';
import { chmod, lstat, mkdir, open, readlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../errors.js';

/** The path's components, or IntegrityError if it is not a safe relative path. */
export function splitStreamPath(path: string): string[] {
  if (path.length === 0) throw new IntegrityError('xbstream: empty path');
  if (path.includes('\0')) throw new IntegrityError(`xbstream: NUL in path ${JSON.stringify(path)}`);
  if (path.startsWith('/')) throw new IntegrityError(`xbstream: absolute path refused: ${path}`);
  const parts = path.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new IntegrityError(`xbstream: path with '..' refused: ${path}`);
  if (parts.length === 0) throw new IntegrityError(`xbstream: path names no file: ${path}`);
  return parts;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

/** Creates (or checks) the directories above a file, refusing anything that is not a real directory. */
export async function ensureParents(root: string, parts: readonly string[], dirMode: number, known: Set<string>): Promise<void> {
  let dir = root;
  for (const name of parts.slice(0, -1)) {
    dir = join(dir, name);
    if (known.has(dir)) continue;
    try {
      await mkdir(dir, { mode: dirMode });
      await chmod(dir, dirMode); // mkdir's mode is filtered by the umask
    } catch (err) {
      if (errCode(err) !== 'EEXIST') throw err;
      const st = await lstat(dir);
      if (!st.isDirectory()) {
        throw new IntegrityError(`xbstream: ${dir} exists and is not a directory (${st.isSymbolicLink() ? 'a symlink' : 'a file'})`);
      }
    }
    known.add(dir);
  }
}

// Where the kernel says an fd really points: catches a directory swapped for a symlink
// between our lstat and our open. Skipped where /proc is not mounted.
async function checkLanded(fh: FileHandle, expected: string): Promise<void> {
  let actual: string;
  try {
    actual = await readlink(`/proc/self/fd/${fh.fd}`);
  } catch {
    return;
  }
  if (actual !== expected) {
    await fh.close();
    throw new IntegrityError(`xbstream: ${expected} resolved to ${actual}, outside the extraction directory`);
  }
}

/** Creates a new file; it must not exist yet (a second file of the same name is an error). */
export async function createFile(root: string, parts: readonly string[], fileMode: number): Promise<FileHandle> {
  const full = join(root, ...parts);
  let fh: FileHandle;
  try {
    fh = await open(full, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, fileMode);
  } catch (err) {
    if (errCode(err) === 'EEXIST') throw new IntegrityError(`xbstream: ${full} already exists`, { cause: err });
    throw err;
  }
  await checkLanded(fh, full);
  await fh.chmod(fileMode); // open's mode is filtered by the umask
  return fh;
}

/** Opens again a file we created and closed to save fds; it must still be the same inode. */
export async function reopenFile(root: string, parts: readonly string[], ino: bigint, dev: bigint): Promise<FileHandle> {
  const full = join(root, ...parts);
  let fh: FileHandle;
  try {
    fh = await open(full, constants.O_WRONLY | constants.O_NOFOLLOW);
  } catch (err) {
    throw new IntegrityError(`xbstream: cannot reopen ${full}: ${(err as Error).message}`, { cause: err });
  }
  const st = await fh.stat({ bigint: true });
  if (st.ino !== ino || st.dev !== dev) {
    await fh.close();
    throw new IntegrityError(`xbstream: ${full} was replaced during extraction`);
  }
  await checkLanded(fh, full);
  return fh;
}
