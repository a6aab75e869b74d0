import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { processAlive } from '../process/alive.js';

// Scratch directories in [backup] tmp_dir carry the pid of the process that made them, so a
// server killed with SIGKILL (no clean-up ran) leaves nothing for long: the next server start
// removes the directories of owners that are no longer alive, with the credential files and
// partial backups inside.

const SCRATCH = /^zrm-(backup|legacy)-(\d+)-/;

export function scratchPrefix(kind: 'backup' | 'legacy', pid = process.pid): string {
  return `zrm-${kind}-${pid}-`;
}

/** A new scratch directory (0700) of this process in `root`; the error names [backup] tmp_dir. */
export async function makeScratchDir(root: string, kind: 'backup' | 'legacy'): Promise<string> {
  return mkdtemp(join(root, scratchPrefix(kind))).catch((err: unknown) => {
    throw new Error(`no scratch directory in [backup] tmp_dir ${root}: ${errorMessage(err)}`);
  });
}

/** Removes scratch directories of dead owners in `tmpDir` (ours only, never followed links). */
export async function sweepStaleScratch(tmpDir: string, logger: Logger): Promise<string[]> {
  const removed: string[] = [];
  const names = await readdir(tmpDir).catch(() => [] as string[]);
  const uid = process.geteuid?.() ?? 0;
  for (const name of names) {
    const m = SCRATCH.exec(name);
    const pid = Number(m?.[2]);
    if (!m || pid === process.pid || processAlive(pid)) continue;
    const path = join(tmpDir, name);
    try {
      const st = await lstat(path);
      if (!st.isDirectory() || st.uid !== uid) continue;
      await rm(path, { recursive: true, force: true });
      removed.push(path);
      logger.warn(`removed ${path}: scratch of process ${pid}, which is gone (killed before it could clean up)`);
    } catch (err) {
      logger.warn(`could not remove stale scratch ${path}: ${errorMessage(err)}`);
    }
  }
  return removed;
}
