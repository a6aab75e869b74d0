import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';

// One directory-size walk for every caller: verify's disk-space check, the size a 2.1 client is
// told up front, the benchmark's check of what landed.

export interface TreeLimits {
  /** Entries to look at before giving up. */
  maxEntries?: number;
  /** Milliseconds to spend before giving up. */
  maxMs?: number;
}

/**
 * Bytes of the regular files at or below `path` (symbolic links are not followed; a path that
 * does not exist or cannot be read counts 0). With limits, undefined when the walk passes them:
 * an estimate that would come late is no estimate.
 */
export function treeSize(path: string): Promise<number>;
export function treeSize(path: string, limits: TreeLimits): Promise<number | undefined>;
export async function treeSize(path: string, limits: TreeLimits = {}): Promise<number | undefined> {
  const deadline = Date.now() + (limits.maxMs ?? Infinity);
  let budget = limits.maxEntries ?? Infinity;
  const top = await lstat(path).catch(() => undefined);
  if (!top?.isDirectory()) return top?.isFile() ? top.size : 0;
  let total = 0;
  const pending = [path];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    const entries = await opendir(current).catch(() => undefined);
    if (!entries) continue;
    for await (const e of entries) {
      if (--budget < 0 || Date.now() > deadline) return undefined;
      const child = join(current, e.name);
      if (e.isDirectory()) pending.push(child);
      else if (e.isFile()) total += (await lstat(child).catch(() => undefined))?.size ?? 0;
    }
  }
  return total;
}
