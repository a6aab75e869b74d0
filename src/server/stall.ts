import { ExitError } from '../errors.js';
import type { Session } from './context.js';

/**
 * A write to the client that did not complete within `seconds`: the client stopped reading.
 * While the backup tool holds its lock (MyISAM/Aria phase) the database's writes wait on it, so
 * the caller stops the tool instead of waiting for the idle timeout.
 */
export class StallError extends ExitError {
  constructor(seconds: number) {
    super(`the client stopped reading: a write waited more than ${seconds} s ([server] stall_timeout)`);
    this.name = 'StallError';
  }
}

export async function withStallDeadline<T>(work: Promise<T>, seconds: number, onStall: () => void): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => {
      onStall();
      reject(new StallError(seconds));
    }, seconds * 1000);
  });
  try {
    return await Promise.race([work, stalled]);
  } finally {
    clearTimeout(timer);
  }
}

/** Writes each chunk of `source` to the client with `write`, each under stall_timeout; counts the bytes. */
export async function pumpToClient(s: Session, source: AsyncIterable<Buffer>, write: (chunk: Buffer) => Promise<void>): Promise<void> {
  for await (const chunk of source) {
    await withStallDeadline(write(chunk), s.deps.config.server.stallTimeout, () => s.output.destroy());
    s.bytes += chunk.length;
  }
}
