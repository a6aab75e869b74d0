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
  if (s.protocol === 'legacy') {
    const sender = new LegacySender(s.output);
    try {
      for await (const chunk of source) {
        await sender.write(chunk);
        s.bytes += chunk.length;
      }
      await sender.end();
    } catch (err) {
      abort();
      throw err;
    }
    return finish();
  }
  const sender = new V2Sender(s.output);
  let status: ProducerStatus;
  try {
    for await (const chunk of source) {
      await sender.write(chunk);
      s.bytes += chunk.length;
    }
    status = await finish();
  } catch (err) {
    status = { ok: false, exitCode: null, message: (err as Error).message };
    // Stop the producer before waiting for it: nobody reads its pipe any more, so it would
    // block for ever. Then try to tell the client why (it may be gone: that write fails too).
    abort();
    await finish().catch(() => undefined);
  }
  await sender.end(status);
  return status;
}
