import { constants } from 'node:fs';
import { lstat, mkdir, open, type FileHandle } from 'node:fs/promises';
import { ExitError } from '../errors.js';
import type { Logger } from '../logging/logger.js';

// The directory that holds the armed credentials. The original used /tmp/zrm-innosnap, which any
// local user could create first or replace with a symlink; every use here checks it is a real
// directory owned by us before touching what is inside.

export function ownUid(): number {
  return process.geteuid?.() ?? 0;
}

export function octal(mode: number): string {
  return '0' + (mode & 0o777).toString(8).padStart(3, '0');
}

async function whatIsIt(path: string): Promise<string> {
  try {
    const st = await lstat(path);
    return st.isSymbolicLink() ? 'is a symbolic link' : 'is not a directory';
  } catch {
    return 'or one of its parents is not a directory';
  }
}

/**
 * Opens the state directory without following a symlink; null when it does not exist.
 * Throws ExitError for a symlink, a non-directory, or a directory owned by another uid.
 */
export async function openStateDir(dir: string): Promise<FileHandle | null> {
  let handle: FileHandle;
  try {
    handle = await open(dir, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return null;
    if (code === 'ELOOP' || code === 'ENOTDIR') {
      throw new ExitError(`state directory ${dir} ${await whatIsIt(dir)}; refusing to use it`, undefined, { cause: err });
    }
    throw new ExitError(`cannot open state directory ${dir}: ${(err as Error).message}`, undefined, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isDirectory()) throw new ExitError(`state directory ${dir} is not a directory; refusing to use it`);
    if (st.uid !== ownUid()) {
      throw new ExitError(
        `state directory ${dir} is owned by uid ${st.uid}, not by uid ${ownUid()} that runs this plugin; refusing to use it (remove it or fix its owner)`,
      );
    }
    return handle;
  } catch (err) {
    await handle.close();
    throw err;
  }
}

/**
 * Makes sure the state directory exists as a 0700 directory of ours: creates it when missing
 * (its parent must exist), tightens its mode when group or others have access, refuses anything
 * unsafe (see openStateDir).
 */
export async function ensureStateDir(dir: string, logger?: Logger): Promise<void> {
  let handle = await openStateDir(dir);
  if (handle === null) {
    try {
      await mkdir(dir, { mode: 0o700 });
      logger?.info(`created state directory ${dir}`);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') throw new ExitError(`cannot create state directory ${dir}: its parent directory does not exist`);
      // EEXIST: someone made it in between; openStateDir below judges what it is.
      if (code !== 'EEXIST') throw new ExitError(`cannot create state directory ${dir}: ${(err as Error).message}`, undefined, { cause: err });
    }
    handle = await openStateDir(dir);
    if (handle === null) throw new ExitError(`state directory ${dir} vanished while it was being created`);
  }
  try {
    const mode = (await handle.stat()).mode & 0o777;
    if (mode !== 0o700) {
      // Through the open handle, so a swap for a symlink after the checks changes nothing.
      await handle.chmod(0o700);
      if (mode & 0o077) logger?.warn(`state directory ${dir} had mode ${octal(mode)}; set it to 0700`);
    }
  } finally {
    await handle.close();
  }
}
