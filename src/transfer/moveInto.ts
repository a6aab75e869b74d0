import { lstat, readdir, rename, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { CHECKPOINTS_NAMES } from '../restore/backupFiles.js';

/** Its marker last: what restore, verify and prepare take for a hot backup must be all there. */
function publishOrder(names: string[]): string[] {
  const marker = (n: string): boolean => CHECKPOINTS_NAMES.includes(n);
  return [...names.filter((n) => !marker(n)), ...names.filter(marker)];
}

/**
 * Moves everything in `from` into `to` (same filesystem: renames only), merging directories
 * that already exist, then removes `from`. Used to publish a verified, staged extraction; a hot
 * backup's xtrabackup_checkpoints goes last, so one cut short while publishing has none.
 */
export async function moveInto(from: string, to: string): Promise<void> {
  for (const name of publishOrder(await readdir(from))) {
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
