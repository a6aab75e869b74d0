import { realpath } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { ExitError } from '../errors.js';

// Every path a client names is checked here before the server touches it: absolute, no '..'
// component, inside one of the configured allowed roots once symbolic links are resolved, and
// never into the staging directory of a stream being received (another client could read a
// half-received upload there, or plant a link for its tar to write through).

/** The name prefix of the hidden directory a received stream is extracted into before it is published. */
export const STAGING_PREFIX = '.zrm-incoming-';

/** Whether `p` lies in (or is) the staging directory of a stream being received. */
export function inStaging(p: string): boolean {
  return p.split(sep).some((c) => c.startsWith(STAGING_PREFIX));
}

export class PathRefused extends ExitError {
  constructor(message: string) {
    super(message);
    this.name = 'PathRefused';
  }
}

export function checkClientPath(p: string, what: string): string {
  if (p === '' || !isAbsolute(p)) throw new PathRefused(`${what} '${p}' is not an absolute path`);
  if (p.includes('\0')) throw new PathRefused(`${what} contains a NUL byte`);
  if (p.split('/').includes('..')) throw new PathRefused(`${what} '${p}' contains '..'`);
  return normalize(p);
}

export function isInside(child: string, root: string): boolean {
  if (root === '/') return true;
  const r = root.endsWith(sep) ? root.slice(0, -1) : root;
  return child === r || child.startsWith(r + sep);
}

/** Resolves the longest existing prefix of `p` (so a path still to be created can be checked). */
async function resolveExisting(p: string): Promise<string> {
  let head = p;
  const tail: string[] = [];
  for (;;) {
    try {
      return join(await realpath(head), ...tail.reverse());
    } catch {
      if (head === '/') return p;
      tail.push(basename(head));
      head = dirname(head);
    }
  }
}

/** The roots as written and as resolved: a root may be reached through a link (/var/lib/mysql -> /srv/mysql). */
export async function realRoots(roots: readonly string[]): Promise<string[]> {
  return [...roots, ...(await Promise.all(roots.map((r) => resolveExisting(r))))];
}

export async function checkAllowed(p: string, roots: readonly string[], what: string): Promise<string> {
  const clean = checkClientPath(p, what);
  const real = await resolveExisting(clean);
  if (!(await realRoots(roots)).some((r) => isInside(real, r))) {
    throw new PathRefused(`${what} '${p}' is outside the allowed roots (${roots.join(', ')})`);
  }
  if (inStaging(clean) || inStaging(real)) throw new PathRefused(`${what} '${p}' is in the staging directory of a stream being received`);
  return clean;
}
