import { CompressingSender } from '../protocol/compressionFrames.js';
import { V2Sender } from '../protocol/v2Frames.js';
import type { Session } from './context.js';
import { sendLegacy } from './legacySend.js';
import { ClientGoneError } from './clientGone.js';
import { StallError, pumpToClient } from './stall.js';

export interface ProducerStatus {
  ok: boolean;
  exitCode: number | null;
  message: string;
}

/**
 * Sends a producer's bytes to the client in the session's framing. A v2 client gets them as they
 * come (compressed, when the OK line announced an encoding), then the trailer with the
 * producer's status. A 1.8b5 client cannot hear a status: it gets them as they come too, but
 * never ending where tar would take a cut stream for whole until the producer has succeeded,
 * or (`stage`: a backup tool's output) only once it has (legacySend.ts); and an invalid stream
 * when anything fails.
 */
export async function sendStream(
  s: Session,
  source: AsyncIterable<Buffer>,
  finish: () => Promise<ProducerStatus>,
  abort: () => void,
  opts: { stage?: boolean } = {},
): Promise<ProducerStatus> {
  if (s.protocol === 'legacy') return sendLegacy(s, source, finish, abort, { stage: opts.stage === true });
  const sender = s.encoding ? new CompressingSender(s.output, s.encoding, { backgroundHash: true }) : new V2Sender(s.output, { backgroundHash: true });
  let status: ProducerStatus;
  try {
    await pumpToClient(s, source, (chunk) => sender.send(chunk));
    status = await finish();
  } catch (err) {
    // Stop the producer before waiting for it: nobody reads its pipe any more, so it would
    // block for ever.
    abort();
    if (err instanceof StallError || err instanceof ClientGoneError) s.deps.logger.error(err.message);
    // Then try to tell the client why (it may be gone: that write fails too).
    status = { ok: false, exitCode: null, message: (err as Error).message };
    await finish().catch(() => undefined);
  }
  const trailer = await sender.end(status);
  if (sender instanceof CompressingSender) {
    const ratio = (trailer.bytes / Math.max(1, trailer.wireBytes ?? 0)).toFixed(2);
    const { blocks, stored } = sender.blockCounts;
    s.deps.logger.info(`sent ${trailer.bytes} bytes as ${trailer.wireBytes ?? '?'} on the wire (${s.encoding?.token ?? '?'}, ${ratio}:1, ${stored} of ${blocks} blocks stored as they did not shrink)`);
  }
  return status;
}
