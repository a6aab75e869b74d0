import { lstat, readdir, rename, rmdir } from 'node:fs/promises';
import { join } from 'node:path';

/**
 * Moves everything in `from` into `to` (same filesystem: renames only), merging directories
 * that already exist, then removes `from`. Used to publish a verified, staged extraction.
 */
export async function moveInto(from: string, to: string): Promise<void> {
  for (const name of await readdir(from)) {
    const src = join(from, name);
    const dst = join(to, name);
    const existing = await lstat(dst).catch(() => undefined);
    const srcStat = await lstat(src);
    if (existing?.isDirectory() && srcStat.isDirectory()) {
      await moveInto(src, dst);
    } else {
      await rename(src, dst);
    }
  }
  await rmdir(from);
}
