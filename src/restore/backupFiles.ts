import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

// The small text files a hot backup carries (mariabackup, xtrabackup, innobackupex all write
// them): `key = value` lines in xtrabackup_checkpoints and xtrabackup_info, one tab-separated
// line in xtrabackup_binlog_info.

export const CHECKPOINTS_FILE = 'xtrabackup_checkpoints';

/** The marker of a hot backup under either name: MariaDB 11 (MDEV-18931) writes mariadb_backup_checkpoints. */
export const CHECKPOINTS_NAMES: readonly string[] = [CHECKPOINTS_FILE, 'mariadb_backup_checkpoints'];

/**
 * What every whole hot backup carries, each under one of its names: the checkpoints, the server
 * options prepare needs (backup-my.cnf), and the info file the tools write last of all. A stream
 * cut anywhere before its end lacks at least the last.
 */
export const HOT_BACKUP_FILES: ReadonlyArray<readonly string[]> = [CHECKPOINTS_NAMES, ['backup-my.cnf'], ['xtrabackup_info', 'mariadb_backup_info']];

export interface Checkpoints {
  /** full-backuped, full-prepared, incremental, log-applied ... */
  backupType: string;
  fromLsn: number;
  toLsn: number;
  lastLsn: number;
}

export interface BackupInfo {
  toolName?: string | undefined;
  toolVersion?: string | undefined;
  serverVersion?: string | undefined;
  startTime?: string | undefined;
  endTime?: string | undefined;
}

export interface BinlogPosition {
  file: string;
  position: number;
  gtid?: string | undefined;
}

export function parseKeyValues(text: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    out.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return out;
}

async function readOptional(path: string): Promise<string | undefined> {
  return readFile(path, 'utf8').catch(() => undefined);
}

function lsn(kv: Map<string, string>, key: string): number {
  const v = kv.get(key) ?? '0';
  return /^\d+$/.test(v) ? Number(v) : 0;
}

export async function readCheckpoints(dir: string): Promise<Checkpoints | undefined> {
  const text = await readOptional(join(dir, CHECKPOINTS_FILE));
  if (text === undefined) return undefined;
  const kv = parseKeyValues(text);
  return { backupType: kv.get('backup_type') ?? 'unknown', fromLsn: lsn(kv, 'from_lsn'), toLsn: lsn(kv, 'to_lsn'), lastLsn: lsn(kv, 'last_lsn') };
}

export async function readBackupInfo(dir: string): Promise<BackupInfo> {
  // mariabackup 10.x writes xtrabackup_info; newer ones mariadb_backup_info.
  const text = (await readOptional(join(dir, 'mariadb_backup_info'))) ?? (await readOptional(join(dir, 'xtrabackup_info')));
  if (text === undefined) return {};
  const kv = parseKeyValues(text);
  return {
    toolName: kv.get('tool_name') || undefined,
    toolVersion: kv.get('tool_version') || undefined,
    serverVersion: kv.get('server_version') || undefined,
    startTime: kv.get('start_time') || undefined,
    endTime: kv.get('end_time') || undefined,
  };
}

export async function readBinlogPosition(dir: string): Promise<BinlogPosition | undefined> {
  const text = (await readOptional(join(dir, 'mariadb_backup_binlog_info'))) ?? (await readOptional(join(dir, 'xtrabackup_binlog_info')));
  const [file, pos, gtid] = (text ?? '').trim().split(/\s+/);
  if (!file || !pos || !/^\d+$/.test(pos)) return undefined;
  return { file, position: Number(pos), ...(gtid ? { gtid } : {}) };
}

/** True once --prepare (or --apply-log) has run: the files can go back into a data directory. */
export function isPrepared(cp: Checkpoints): boolean {
  return cp.backupType === 'full-prepared' || cp.backupType === 'log-applied';
}
