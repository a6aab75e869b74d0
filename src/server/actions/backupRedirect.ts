import { rm } from 'node:fs/promises';
import { startBackup } from '../../backupTool/run.js';
import type { Credentials, RunningBackup } from '../../backupTool/types.js';
import { errorMessage } from '../../errors.js';
import { startTarCreate, tarStatus } from '../../tar/tar.js';
import { extractXbstream } from '../../xbstream/extract.js';
import type { Outcome, Session } from '../context.js';
import { sendStream, type ProducerStatus } from '../dataSender.js';
import { sendBackupGreeting } from '../reply.js';
import { failedLegacy, poisonLegacy } from '../legacySend.js';
import { ClientGoneError, watchClientGone } from '../clientGone.js';
import { makeScratchDir } from '../../backupTool/scratch.js';

/**
 * Runs the configured backup tool and streams its backup to the client.
 * A v2 client takes the tool's own format. A 1.8b5 client gets nothing until the tool has
 * succeeded (costs the backup's size in config.backup.tmpDir): it understands only tar, so an
 * xbstream backup is first unpacked here and re-sent as tar; a tar backup is spooled as it is.
 */
export async function streamBackupTool(s: Session, creds: Credentials): Promise<Outcome> {
  const { config, toolLog } = s.deps;
  const tool = await startBackup(config, creds, toolLog, { tmpRoot: config.backup.tmpDir, run: s.deps.run });
  try {
    const status =
      s.protocol === 'legacy' && tool.format === 'xbstream'
        ? await resendAsTar(s, tool).catch((err: unknown) => failedLegacy(s, err, () => tool.kill(), () => tool.done))
        : await streamDirect(s, tool);
    return report(s, status);
  } finally {
    tool.kill();
  }
}

async function streamDirect(s: Session, tool: RunningBackup): Promise<ProducerStatus> {
  await sendBackupGreeting(s, tool.format);
  return sendStream(s, tool.stdout, () => tool.done, () => tool.kill(), { stage: true });
}

async function resendAsTar(s: Session, tool: RunningBackup): Promise<ProducerStatus> {
  const staging = await makeScratchDir(s.deps.config.backup.tmpDir, 'legacy');
  try {
    let unpackError: string | undefined;
    let goneMessage: string | undefined;
    // Nothing goes to the client while the tool runs: a closed connection is noticed here.
    const stopWatching = watchClientGone(s.output, () => {
      goneMessage = new ClientGoneError().message;
      tool.kill();
    });
    // Scratch, removed once re-sent as tar (and swept after a crash): an fsync per file buys nothing.
    await extractXbstream(tool.stdout, staging, { fsync: false }).catch((err: unknown) => {
      unpackError = `unpacking the xbstream failed: ${errorMessage(err)}`;
      tool.kill();
    });
    const result = await tool.done;
    stopWatching();
    if (!result.ok || unpackError || goneMessage) {
      const message = goneMessage ?? (result.ok ? (unpackError ?? '') : result.message);
      await poisonLegacy(s, message);
      return { ok: false, exitCode: result.exitCode, message };
    }
    const tar = startTarCreate(staging, ['.'], { run: s.deps.run });
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
