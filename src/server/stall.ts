import { ExitError } from '../errors.js';

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
