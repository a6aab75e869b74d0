import { createWriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { errorMessage } from '../errors.js';
import { writeAll } from '../protocol/io.js';
import { formatStatusBlock } from '../protocol/statusBlock.js';
import { LegacySender, legacyFailureFrame } from '../protocol/legacyFrames.js';
import type { Session } from './context.js';
import type { ProducerStatus } from './dataSender.js';
import { pumpToClient, withStallDeadline } from './stall.js';
import { makeScratchDir } from '../backupTool/scratch.js';
import { releaseDeadBuffers } from '../process/deadBuffers.js';

// A 1.8b5 client cannot hear a status: whatever it receives it extracts, and it ends with exit 0
// (or tar's exit status) however the server fared. So its stream is held back on local disk
// until the producer has succeeded, and a failure is sent as an invalid stream, never as a
// shorter one. Costs the stream's size in [backup] tmp_dir.

/** What the staging file may hold in memory before the producer is paused. */
const SPOOL_BUFFER = 1024 * 1024;

/** How much of the staged stream is read (and framed, and written) at a time. */
const STAGED_READ = 256 * 1024;

/**
 * The staged stream, read into one buffer over and over: LegacySender.send() has framed (or
 * copied) each piece before the next is asked for, so no piece is kept and none becomes garbage.
 */
async function* readStaged(file: string): AsyncGenerator<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(STAGED_READ);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/**
 * A 1.8b5 stream that failed on our side (staging, say): stops the producer, then makes the
 * stream invalid for the old client, which must still see a failure.
 */
export async function failedLegacy(s: Session, err: unknown, abort: () => void, finish: () => Promise<ProducerStatus>): Promise<ProducerStatus> {
  abort();
  const produced = await finish().catch(() => undefined);
  const message = produced && !produced.ok ? `${produced.message}; ${errorMessage(err)}` : errorMessage(err);
  await poisonLegacy(s, message);
  return { ok: false, exitCode: produced?.exitCode ?? null, message };
}

/** Makes the stream invalid for any 1.8b5 receiver (best effort: the client may be gone). */
export async function poisonLegacy(s: Session, why: string): Promise<void> {
  s.deps.logger.error(`1.8b5 stream marked invalid for the client: ${why}`);
  await writeAll(s.output, legacyFailureFrame()).catch(() => undefined);
}

/** Sends `source` (already verified, e.g. a tar of a checked directory) and checks `finish` at the end. */
export async function sendLegacyChecked(
  s: Session,
  source: AsyncIterable<Buffer>,
  finish: () => Promise<ProducerStatus>,
  abort: () => void,
): Promise<ProducerStatus> {
  const sender = new LegacySender(s.output);
  let status: ProducerStatus;
  try {
    await pumpToClient(s, source, (chunk) => sender.send(chunk));
    status = await finish();
    if (status.ok) await withStallDeadline(sender.end(), s.deps.config.server.stallTimeout, () => s.output.destroy());
  } catch (err) {
    abort();
    await finish().catch(() => undefined);
    status = { ok: false, exitCode: null, message: `sending failed: ${errorMessage(err)}` };
  }
  if (!status.ok) await poisonLegacy(s, status.message);
  return status;
}

/** Spools the producer's whole output, then sends it only if the producer succeeded. */
export async function sendLegacyStaged(
  s: Session,
  source: AsyncIterable<Buffer>,
  finish: () => Promise<ProducerStatus>,
  abort: () => void,
): Promise<ProducerStatus> {
  let dir: string;
  try {
    dir = await makeScratchDir(s.deps.config.backup.tmpDir, 'legacy');
  } catch (err) {
    return failedLegacy(s, err, abort, finish);
  }
  const file = join(dir, 'stream');
  try {
    let spoolError: string | undefined;
    // A Readable (the producer's stdout) is piped as it is: no promise per piece. The file takes
    // up to 1 MiB before it holds the producer back, so reading the pipe and writing the disk
    // overlap (and pieces are written several at a time).
    const input = source instanceof Readable ? source : Readable.from(source);
    const spooled = pipeline(input, createWriteStream(file, { mode: 0o600, highWaterMark: SPOOL_BUFFER }));
    // Each piece of the pipe dies once written: freed every few MiB (server peak RSS in bench
    // e2e's 1.8b5 row 104-125 -> 76-78 MiB), not left to pile up to V8's external-memory limit.
    input.on('data', (chunk: Buffer) => releaseDeadBuffers(chunk.length));
    await spooled.catch((err: unknown) => {
      spoolError = `staging the stream in ${dir} failed: ${errorMessage(err)}`;
      abort();
    });
    const produced = await finish().catch((err: unknown): ProducerStatus => ({ ok: false, exitCode: null, message: errorMessage(err) }));
    const status = spoolError ? { ...produced, ok: false, message: produced.ok ? spoolError : `${produced.message}; ${spoolError}` } : produced;
    if (!status.ok) {
      await poisonLegacy(s, status.message);
      return status;
    }
    return await sendLegacyChecked(s, readStaged(file), async () => status, () => undefined);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * A 1.8b5 upload (`copy to`) that could not be stored. 1.8b5 has no reply here: an old client
 * sends and hangs up without reading, so it cannot be told. Our own client in 1.8b5 mode reads
 * until we hang up, and takes any text (this status block) as the failure it is.
 */
export async function tellLegacyUploadFailed(s: Session, message: string): Promise<void> {
  if (s.protocol === 'legacy') await writeAll(s.output, formatStatusBlock(false, [message])).catch(() => undefined);
}
