import { realpath } from 'node:fs/promises';
import { normalize } from 'node:path';
import { PathRefused, isInside } from '../fsutil/paths.js';

// What the server removes must never be an allowed root, nor hold one: roots are compared as
// normalised paths (no trailing '/', no '//' or '/./') and as real paths (a root named through a
// symbolic link is the directory it leads to).

const clean = (p: string): string => {
  const n = normalize(p);
  return n.length > 1 && n.endsWith('/') ? n.slice(0, -1) : n;
};

async function spellings(p: string): Promise<string[]> {
  const real = await realpath(p).catch(() => undefined);
  return real ? [clean(p), clean(real)] : [clean(p)];
}

/** PathRefused if removing `target` would remove an allowed root or something holding one. */
export async function assertNotRoot(target: string, roots: readonly string[], what: string): Promise<void> {
  const mine = await spellings(target);
  for (const root of roots) {
    for (const r of await spellings(root)) {
      if (mine.some((t) => isInside(r, t))) throw new PathRefused(`${what} '${target}' is an allowed root (${root}) or holds one: not removed`);
    }
  }
}
