import { parseByteSize } from '../config/byteSize.js';
import { ExitCode, ExitError, errorMessage } from '../errors.js';
import { treeSize } from '../fsutil/treeSize.js';
import { storedBackups, type StoredBackup } from '../monitor/destinations.js';
import { humanBytes } from '../monitor/historyTable.js';
import { spaceNeeded } from '../verify/scratch.js';
import { verifyCommand } from './verify.js';

// `zrm-innobackupex verify-newest --destination DIR`: what the nightly verify timer runs. Per
// backup set under DIR, the newest completed backup goes through `verify` (which records its
// result for `check --max-verified-age`); a backup whose scratch copy would pass --max-scratch
// is skipped and said so. Non-zero exit when any verify failed or was skipped.

export interface VerifyNewestOptions {
  destination: string[];
  set?: string[];
  scratch?: string;
  maxScratch?: string;
}

function newestPerSet(backups: StoredBackup[], only: string[]): StoredBackup[] {
  const newest = new Map<string, StoredBackup>();
  for (const b of backups) {
    if (only.length > 0 && !only.includes(b.set)) continue;
    const prev = newest.get(b.set);
    if (!prev || b.time > prev.time) newest.set(b.set, b);
  }
  return [...newest.values()].sort((a, b) => a.set.localeCompare(b.set));
}

export async function verifyNewestCommand(opts: VerifyNewestOptions, configPath?: string): Promise<number> {
  let budget: number | undefined;
  try {
    budget = opts.maxScratch === undefined ? undefined : Number(parseByteSize(opts.maxScratch, 1n, 2n ** 60n));
  } catch (err) {
    throw new ExitError(`--max-scratch: ${errorMessage(err)}`, ExitCode.usage);
  }
  const backups: StoredBackup[] = [];
  for (const d of opts.destination) {
    try {
      backups.push(...(await storedBackups(d)));
    } catch (err) {
      throw new ExitError(errorMessage(err), ExitCode.usage);
    }
  }
  const chosen = newestPerSet(backups, opts.set ?? []);
  if (chosen.length === 0) throw new ExitError(`no completed backup under ${opts.destination.join(', ')}`);
  let worst = 0;
  for (const b of chosen) {
    const needed = spaceNeeded(await treeSize(b.dir));
    if (budget !== undefined && needed > budget) {
      process.stderr.write(`verify-newest: skipped ${b.dir} (set ${b.set}): its scratch copy needs about ${humanBytes(needed)}, more than --max-scratch ${humanBytes(budget)}\n`);
      worst = worst || ExitCode.failure;
      continue;
    }
    process.stderr.write(`verify-newest: set ${b.set}: ${b.dir}\n`);
    const code = await verifyCommand(b.dir, opts.scratch ? { scratch: opts.scratch } : {}, configPath);
    worst = worst || code;
  }
  return worst;
}
