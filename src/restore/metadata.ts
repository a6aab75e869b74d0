import { readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { VERSION } from '../version.js';
import { readBackupInfo, readBinlogPosition, readCheckpoints, type BinlogPosition, type Checkpoints } from './backupFiles.js';

// zrm-innobackupex.json, written beside a hot backup when it lands: what made it and what
// arrived, so that prepare, restore and verify use the right tool and can check the data.
export const METADATA_FILE = 'zrm-innobackupex.json';

export interface BackupMetadata {
  format: 'zrm-innobackupex-backup/1';
  /** zrm-innobackupex version of the client that received it. */
  receivedBy: string;
  receivedAt: string;
  source?: { host: string; path: string } | undefined;
  tool: string;
  toolVersion?: string | undefined;
  serverVersion?: string | undefined;
  startTime?: string | undefined;
  endTime?: string | undefined;
  checkpoints: Checkpoints;
  binlog?: BinlogPosition | undefined;
  stream: { format: string; bytes: number; sha256?: string | undefined };
  prepared?: { at: string; tool: string; toolVersion?: string | undefined } | undefined;
}

export interface LandedStream {
  bytes: number;
  format: string;
  sha256?: string | undefined;
}

export async function describeBackup(dir: string, stream: LandedStream, fallbackTool: string, source?: { host: string; path: string }): Promise<BackupMetadata | undefined> {
  const checkpoints = await readCheckpoints(dir);
  if (!checkpoints) return undefined;
  const info = await readBackupInfo(dir);
  return {
    format: 'zrm-innobackupex-backup/1',
    receivedBy: VERSION,
    receivedAt: new Date().toISOString(),
    source,
    tool: info.toolName ?? fallbackTool,
    toolVersion: info.toolVersion,
    serverVersion: info.serverVersion,
    startTime: info.startTime,
    endTime: info.endTime,
    checkpoints,
    binlog: await readBinlogPosition(dir),
    stream,
  };
}

export async function writeMetadata(dir: string, meta: BackupMetadata): Promise<void> {
  const tmp = join(dir, `.${METADATA_FILE}.tmp`);
  await writeFile(tmp, `${JSON.stringify(meta, null, 2)}\n`, { mode: 0o640 });
  await rename(tmp, join(dir, METADATA_FILE));
}

export async function readMetadata(dir: string): Promise<BackupMetadata | undefined> {
  const text = await readFile(join(dir, METADATA_FILE), 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    const v = JSON.parse(text) as BackupMetadata;
    return typeof v === 'object' && v !== null && typeof v.tool === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}
