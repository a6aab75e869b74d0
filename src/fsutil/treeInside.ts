import { lstat, readdir, realpath, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { PathRefused, STAGING_PREFIX, inStaging, isInside, realRoots } from './paths.js';

// What `tar -h` would read below a requested path, walked by us first: every entry is followed
// the way tar follows it (ZRM_LINKS holds links into the data and binlog directories), and every
// one must resolve inside the allowed roots. tar then gets exactly this list (--no-recursion),
// so a link planted below an allowed directory cannot carry a file from outside the roots.

export interface WalkOptions {
  /** Refuse trees with more entries than this (the list is held in memory for tar). */
  maxEntries?: number;
}

const DEFAULT_MAX_ENTRIES = 2_000_000;

interface Walk {
  roots: readonly string[];
  out: string[];
  max: number;
}

function code(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

async function visit(w: Walk, full: string, rel: string, real: string | undefined, ancestors: readonly string[]): Promise<void> {
  const l = await lstat(full);
  if (real === undefined || l.isSymbolicLink()) {
    try {
      real = await realpath(full);
    } catch (err) {
      if (code(err) === 'ELOOP') throw new PathRefused(`'${rel}' is a symbolic link loop`);
      if (code(err) === 'ENOENT') throw new PathRefused(`'${rel}' is a symbolic link to nothing (${full})`);
      throw err;
    }
  }
  if (!w.roots.some((r) => isInside(real as string, r))) {
    throw new PathRefused(`'${rel}' resolves to '${real}', outside the allowed roots`);
  }
  if (inStaging(real)) throw new PathRefused(`'${rel}' leads into the staging directory of a stream being received`);
  const st = l.isSymbolicLink() ? await stat(full) : l;
  if (w.out.length >= w.max) throw new PathRefused(`more than ${w.max} files below the requested path`);
  w.out.push(rel);
  if (!st.isDirectory()) return;
  // tar -h would descend into a link to an ancestor for ever: refuse, as a broken tree.
  const id = `${st.dev}:${st.ino}`;
  if (ancestors.includes(id)) throw new PathRefused(`'${rel}' leads back into a directory above it (a link loop)`);
  const inner = [...ancestors, id];
  for (const name of await readdir(full)) {
    // A stream being received is no one's to read until it is published.
    if (name.startsWith(STAGING_PREFIX)) continue;
    await visit(w, join(full, name), `${rel}/${name}`, join(real, name), inner);
  }
}

/**
 * The names (relative to `dir`, as tar will archive them) of `names` and everything below them,
 * following symbolic links; PathRefused when one resolves outside `roots`, dangles or loops.
 */
export async function listTreeInsideRoots(dir: string, names: readonly string[], roots: readonly string[], opts: WalkOptions = {}): Promise<string[]> {
  const w: Walk = { roots: await realRoots(roots), out: [], max: opts.maxEntries ?? DEFAULT_MAX_ENTRIES };
  for (const name of names) await visit(w, join(dir, name), name, undefined, []);
  return w.out;
}
