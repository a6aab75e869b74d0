import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import { CHECKPOINTS_FILE, isPrepared, readBackupInfo, readCheckpoints } from './backupFiles.js';
import { readMetadata, writeMetadata } from './metadata.js';
import { localToolFor, prepareWith, type LocalTool } from './tool.js';

export interface PrepareOutcome {
  /** False when the backup was prepared already. */
  ran: boolean;
  tool: LocalTool | undefined;
  toLsn: number;
}

/** The tool and version recorded in the backup (our metadata, else the tool's own info file). */
export async function recordedTool(dir: string, config: AppConfig): Promise<{ name: string; version?: string | undefined }> {
  const meta = await readMetadata(dir);
  if (meta) return { name: meta.tool, version: meta.toolVersion };
  const info = await readBackupInfo(dir);
  return { name: info.toolName ?? config.backup.tool, version: info.toolVersion };
}

/**
 * Prepares the hot backup in `dir` in place with the tool that made it; does nothing for one
 * already prepared. Records the prepare in zrm-innobackupex.json when the backup has one.
 */
export async function prepareBackup(dir: string, config: AppConfig): Promise<PrepareOutcome> {
  const before = await readCheckpoints(dir);
  if (!before) throw new ExitError(`${dir} is not a hot backup (no ${CHECKPOINTS_FILE})`, ExitCode.usage);
  if (isPrepared(before)) return { ran: false, tool: undefined, toLsn: before.toLsn };
  if (before.backupType !== 'full-backuped') {
    throw new ExitError(`${dir} is a '${before.backupType}' backup: only full backups can be prepared on their own`, ExitCode.usage);
  }
  const recorded = await recordedTool(dir, config);
  const tool = await localToolFor(recorded.name, recorded.version, config);
  await prepareWith(tool, dir);
  const after = await readCheckpoints(dir);
  if (!after || !isPrepared(after)) {
    throw new ExitError(`${tool.name} reported success but ${dir}/${CHECKPOINTS_FILE} does not say the backup is prepared`, ExitCode.tool);
  }
  const meta = await readMetadata(dir);
  if (meta) await writeMetadata(dir, { ...meta, checkpoints: after, prepared: { at: new Date().toISOString(), tool: tool.name, toolVersion: tool.version } });
  return { ran: true, tool, toLsn: after.toLsn };
}
