import type { AppConfig } from '../config/appConfig.js';
import { parseServerOptions, readServerOptions } from '../config/databaseRoots.js';
import { treeSize } from '../fsutil/treeSize.js';

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

/** The estimate for the OK line, or undefined (unknown datadir, too big to count quickly). */
export async function estimateBackupSize(config: AppConfig): Promise<number | undefined> {
  return treeSize(await serverDatadir(config), { maxEntries: MAX_ENTRIES, maxMs: MAX_MS });
}
