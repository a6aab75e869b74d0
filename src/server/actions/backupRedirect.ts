import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { startBackup } from '../../backupTool/run.js';
import type { Credentials, RunningBackup } from '../../backupTool/types.js';
import { errorMessage } from '../../errors.js';
import { startTarCreate, tarStatus } from '../../tar/tar.js';
import { extractXbstream } from '../../xbstream/extract.js';
import type { Outcome, Session } from '../context.js';
import { sendStream, type ProducerStatus } from '../dataSender.js';
import { sendV2Greeting } from '../reply.js';

/**
 * Runs the configured backup tool and streams its backup to the client.
 * A v2 client takes the tool's own format. A 1.8b5 client understands only tar: an xbstream
 * backup is first unpacked into temp space here (costs the backup's size in config.backup.tmpDir)
 * and re-sent as tar only once the tool has succeeded, so that client never gets half a backup.
 */
export async function streamBackupTool(s: Session, creds: Credentials): Promise<Outcome> {
  const { config, toolLog } = s.deps;
  const tool = await startBackup(config, creds, toolLog, { tmpRoot: config.backup.tmpDir });
  try {
    const status =
      s.protocol === 'legacy' && tool.format === 'xbstream'
        ? await resendAsTar(s, tool)
        : await streamDirect(s, tool);
    return report(s, status);
  } finally {
    tool.kill();
  }
}

async function streamDirect(s: Session, tool: RunningBackup): Promise<ProducerStatus> {
  await sendV2Greeting(s, tool.format);
  return sendStream(s, tool.stdout, () => tool.done, () => tool.kill());
}

async function resendAsTar(s: Session, tool: RunningBackup): Promise<ProducerStatus> {
  const staging = await mkdtemp(join(s.deps.config.backup.tmpDir, 'zrm-legacy-'));
  try {
    let unpackError: string | undefined;
    await extractXbstream(tool.stdout, staging).catch((err: unknown) => {
      unpackError = `unpacking the xbstream failed: ${errorMessage(err)}`;
      tool.kill();
    });
    const result = await tool.done;
    if (!result.ok || unpackError) {
      return { ok: false, exitCode: result.exitCode, message: result.ok ? (unpackError ?? '') : result.message };
    }
    const tar = startTarCreate(staging, ['.']);
    return await sendStream(s, tar.stdout, () => tarStatus(tar, result.message), () => tar.kill());
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function report(s: Session, status: ProducerStatus): Outcome {
  const tool = s.deps.config.backup.tool;
  if (status.ok) {
    s.deps.logger.info(`${tool} completed OK`);
    return { ok: true, detail: `${tool} backup` };
  }
  s.deps.logger.error(`${tool} backup FAILED: ${status.message}`);
  return { ok: false, detail: `${tool} failed: ${status.message}` };
}
