import { lstat, opendir } from 'node:fs/promises';
import { join } from 'node:path';
import type { AppConfig } from '../config/appConfig.js';
import { parseServerOptions, readServerOptions } from '../config/databaseRoots.js';

// The size a 2.1 client is told up front (`OK xbstream size=N`), for its progress estimate: the
// sum of the regular files under the database's data directory. An estimate only: cheap (one
// lstat per file, bounded in time and entries), and absent rather than late.

const DEFAULT_DATADIR = '/var/lib/mysql';
const MAX_ENTRIES = 1_000_000;
const MAX_MS = 3000;

/** [backup] datadir, else the server's my.cnf (as the tool reads it), else the default. */
async function serverDatadir(config: AppConfig): Promise<string> {
  if (config.backup.datadir) return config.backup.datadir;
  const opts = parseServerOptions(await readServerOptions(config.backup.defaultsFile).catch(() => []));
  return opts.get('datadir') || DEFAULT_DATADIR;
}

/** Bytes of the regular files below `dir` (links not followed); undefined when it took too long. */
export async function treeSize(dir: string, limits: { maxEntries?: number; maxMs?: number } = {}): Promise<number | undefined> {
  const deadline = Date.now() + (limits.maxMs ?? MAX_MS);
  let budget = limits.maxEntries ?? MAX_ENTRIES;
  let total = 0;
  const pending = [dir];
  while (pending.length > 0) {
    const current = pending.pop() as string;
    const entries = await opendir(current).catch(() => undefined);
    if (!entries) continue;
    for await (const e of entries) {
      if (--budget < 0 || Date.now() > deadline) return undefined;
      const path = join(current, e.name);
      if (e.isDirectory()) pending.push(path);
      else if (e.isFile()) total += (await lstat(path).catch(() => undefined))?.size ?? 0;
    }
  }
  return total;
}

/** The estimate for the OK line, or undefined (unknown datadir, too big to count quickly). */
export async function estimateBackupSize(config: AppConfig): Promise<number | undefined> {
  return treeSize(await serverDatadir(config));
}
