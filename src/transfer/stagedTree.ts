import { chmod, lstat, readdir, readlink, realpath } from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { dirname, join, normalize, relative } from 'node:path';
import { IntegrityError } from '../errors.js';
import { isInside, realRoots } from '../fsutil/paths.js';

// An upload is extracted into a staging directory inside its destination and published by
// renames. Before that, every symbolic link in it is resolved as it will resolve once published
// (staged entries over what the destination already holds), and must stay inside `roots`; a
// hard link must not share its inode with a file outside the staging directory. So `copy to`
// cannot plant a link that a later `copy from` (or anything else) would follow out of the roots.
// Nor one with '..' in it at all: where it leads would change when a directory it climbs out of
// is replaced by a link (remove-backup-data can remove a directory, create-link make a link in
// its place), between our check and the moment `copy from`'s tar follows it. Devices, FIFOs and
// sockets are refused, and setuid, setgid and world-write bits dropped: no backup or binary log
// needs them, and a root-run server would otherwise publish a device node, a setuid file or a file
// any local user may rewrite, of the client's making.

const MAX_LINK_HOPS = 40; // as the kernel's ELOOP limit

/** setuid, setgid and world-write: dropped from whatever is published. */
const UNSAFE_MODE = 0o6002;

/** The final namespace: staged entries shadow the destination's. */
class Overlay {
  constructor(private readonly staging: string, private readonly dest: string) {}

  private staged(p: string): string | undefined {
    if (p === this.dest || !isInside(p, this.dest)) return undefined;
    return join(this.staging, relative(this.dest, p));
  }

  async lstat(p: string): Promise<{ st: Stats; at: string } | undefined> {
    const s = this.staged(p);
    if (s !== undefined) {
      const st = await lstat(s).catch(() => undefined);
      if (st) return { st, at: s };
    }
    const st = await lstat(p).catch(() => undefined);
    return st ? { st, at: p } : undefined;
  }
}

/** Where `start` (absolute) leads once published, following links the way the kernel would. */
async function resolveFinal(overlay: Overlay, start: string, what: string): Promise<string> {
  const queue = start.split('/').filter((c) => c !== '');
  let cur = '/';
  let hops = 0;
  while (queue.length > 0) {
    const c = queue.shift() as string;
    if (c === '.') continue;
    if (c === '..') {
      cur = dirname(cur);
      continue;
    }
    const next = join(cur, c);
    const found = await overlay.lstat(next);
    if (found === undefined) {
      // Nothing there yet: whatever is made there later is checked when it is made, but a '..'
      // after it would depend on what that will be.
      if (queue.includes('..')) throw new IntegrityError(`${what} goes through the missing '${next}' and then '..'`);
      return normalize(join(next, ...queue));
    }
    if (found.st.isSymbolicLink()) {
      if (++hops > MAX_LINK_HOPS) throw new IntegrityError(`${what} is a symbolic link loop`);
      const target = await readlink(found.at);
      queue.unshift(...target.split('/').filter((t) => t !== ''));
      if (target.startsWith('/')) cur = '/';
      continue;
    }
    cur = next;
  }
  return cur;
}

async function* walk(dir: string, rel = ''): AsyncGenerator<{ path: string; rel: string; st: Stats }> {
  for (const name of await readdir(dir)) {
    const path = join(dir, name);
    const r = rel === '' ? name : `${rel}/${name}`;
    const st = await lstat(path);
    yield { path, rel: r, st };
    if (st.isDirectory()) yield* walk(path, r);
  }
}

/**
 * Throws IntegrityError when a symbolic link in `staging` would resolve outside `roots` once its
 * contents are moved into `destDir` (or climbs with '..'), a staged file is
 * hard-linked to one outside `staging`, or an entry is no regular file, directory or link; drops
 * setuid, setgid and world-write bits.
 */
export async function checkStagedTree(staging: string, destDir: string, roots: readonly string[]): Promise<void> {
  const dest = await realpath(destDir);
  const overlay = new Overlay(staging, dest);
  const allowed = await realRoots(roots);
  const seen = new Map<string, { rel: string; nlink: number; count: number }>();
  for await (const e of walk(staging)) {
    if (e.st.isSymbolicLink()) {
      const target = await readlink(e.path);
      const what = `the link '${e.rel}' -> '${target}'`;
      const final = await resolveFinal(overlay, join(dest, e.rel), what);
      if (!allowed.some((r) => isInside(final, r))) {
        throw new IntegrityError(`${what} resolves to '${final}', outside ${roots.join(', ')}: upload refused`);
      }
      if (target.split('/').includes('..')) {
        throw new IntegrityError(`${what} climbs with '..': where it leads would change when a directory it climbs out of is replaced by a link: upload refused`);
      }
      continue;
    }
    if (!e.st.isFile() && !e.st.isDirectory()) throw new IntegrityError(`'${e.rel}' is not a regular file, directory or link: upload refused`);
    if ((e.st.mode & UNSAFE_MODE) !== 0) await chmod(e.path, e.st.mode & 0o7777 & ~UNSAFE_MODE);
    if (e.st.isFile() && e.st.nlink > 1) {
      const key = `${e.st.dev}:${e.st.ino}`;
      const s = seen.get(key) ?? { rel: e.rel, nlink: e.st.nlink, count: 0 };
      s.count++;
      seen.set(key, s);
    }
  }
  for (const s of seen.values()) {
    if (s.count < s.nlink) throw new IntegrityError(`'${s.rel}' is a hard link to a file outside the upload: upload refused`);
  }
}
