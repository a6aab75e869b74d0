import { LegacySender } from '../protocol/legacyFrames.js';
import { V2Sender } from '../protocol/v2Frames.js';
import type { Session } from './context.js';

export interface ProducerStatus {
  ok: boolean;
  exitCode: number | null;
  message: string;
}

/**
 * Sends a producer's bytes to the client in the session's framing. A 1.8b5 client gets exactly
 * the old frames and no status (it has no way to hear one); a v2 client gets the trailer.
 */
export async function sendStream(s: Session, source: AsyncIterable<Buffer>, finish: () => Promise<ProducerStatus>, abort: () => void): Promise<ProducerStatus> {
  const sender = s.protocol === 'legacy' ? new LegacySender(s.output) : new V2Sender(s.output);
  let status: ProducerStatus;
  try {
    for await (const chunk of source) {
      await sender.write(chunk);
      s.bytes += chunk.length;
    }
    status = await finish();
  } catch (err) {
    // Stop the producer before waiting for it: nobody reads its pipe any more, so it would
    // block for ever.
    abort();
    if (sender instanceof LegacySender) throw err;
    // Then try to tell a v2 client why (it may be gone: that write fails too).
    status = { ok: false, exitCode: null, message: (err as Error).message };
    await finish().catch(() => undefined);
  }
  // A 1.8b5 client has no way to hear a status: its stream just ends.
  if (sender instanceof LegacySender) await sender.end();
  else await sender.end(status);
  return status;
}
