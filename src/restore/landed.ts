import type { AppConfig } from '../config/appConfig.js';
import type { ZrmConf } from '../config/zrmConf.js';
import { ExitError, errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { describeBackup, writeMetadata, type LandedStream } from './metadata.js';
import { prepareBackup } from './prepare.js';

// Called by the copy plugin once a `copy from` has been published in its destination. When
// what landed is a hot backup (the armed redirect), records zrm-innobackupex.json beside it
// and, when asked to, prepares it right there, so what ZRM stores is ready to copy back.

/** ZRM backup-set key (mysql-zrm.conf) that asks for a prepare on landing; wins over [client] prepare. */
const ZRM_PREPARE_KEY = 'innobackupex-prepare';

export function wantsPrepare(config: AppConfig, zrmConf: ZrmConf | undefined): boolean {
  const v = zrmConf?.get(ZRM_PREPARE_KEY)?.trim().toLowerCase();
  if (v && ['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (v && ['0', 'no', 'false', 'off'].includes(v)) return false;
  return config.client.prepare;
}

export interface LandedContext {
  config: AppConfig;
  logger: Logger;
  zrmConf?: ZrmConf | undefined;
}

export async function onBackupLanded(dest: string, stream: LandedStream, source: { host: string; path: string }, ctx: LandedContext): Promise<void> {
  const meta = await describeBackup(dest, stream, ctx.config.backup.tool, source);
  if (!meta) return; // A plain file copy (a binary log, say): nothing to record.
  await writeMetadata(dest, meta);
  ctx.logger.info(`hot backup landed in ${dest}: ${meta.tool} ${meta.toolVersion ?? ''}, LSN ${meta.checkpoints.toLsn}, ${stream.bytes} bytes`);
  if (!wantsPrepare(ctx.config, ctx.zrmConf)) return;
  try {
    const r = await prepareBackup(dest, ctx.config);
    ctx.logger.info(`prepared ${dest} with ${r.tool?.name ?? 'nothing (already prepared)'} ${r.tool?.version ?? ''}`.trimEnd());
  } catch (err) {
    throw new ExitError(`the backup landed in ${dest} but preparing it failed: ${errorMessage(err)}`, err instanceof ExitError ? err.exitCode : 1);
  }
}
