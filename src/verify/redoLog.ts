import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Checkpoints } from '../restore/backupFiles.js';
import { VerifyFailure } from './failure.js';

// A truncated redo log prepares "successfully": the tool applies what is there and stops, and
// the changes made during the backup are silently lost. Since MariaDB 10.8 the log mariabackup
// writes is a 12 KiB header followed by every byte of log from the checkpoint (to_lsn) to the
// end (last_lsn), so its length says whether all of it is there.
const HEADER = 12288;

function atLeast108(version: string | undefined): boolean {
  const m = /^(\d+)\.(\d+)\./.exec(version ?? '');
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 10 || (major === 10 && minor >= 8);
}

/** True when the check applies and passed; false when it does not apply to this backup. */
export async function checkRedoLogLength(datadir: string, cp: Checkpoints, tool: string, toolVersion: string | undefined): Promise<boolean> {
  if (tool !== 'mariabackup' || !atLeast108(toolVersion) || cp.backupType !== 'full-backuped' || cp.lastLsn <= cp.toLsn) return false;
  const size = (await stat(join(datadir, 'ib_logfile0')).catch(() => undefined))?.size;
  const needed = HEADER + (cp.lastLsn - cp.toLsn);
  if (size === undefined) {
    throw new VerifyFailure('redo-log', 'ib_logfile0 is missing from the backup', 'without its redo log the backup\'s data files are not consistent: this backup would not restore');
  }
  if (size < needed) {
    throw new VerifyFailure(
      'redo-log',
      `ib_logfile0 is truncated: ${size} bytes, but LSN ${cp.toLsn} to ${cp.lastLsn} needs ${needed}`,
      'the redo log (ib_logfile0) is incomplete: a prepare would stop early and silently lose the changes made during the backup, so this backup would not restore as taken',
    );
  }
  return true;
}
