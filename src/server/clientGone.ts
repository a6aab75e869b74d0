import { Duplex, type Writable } from 'node:stream';
import { ExitError } from '../errors.js';

// A client whose connection closes (it gave up, it reset, or [server] idle_timeout cut it off)
// while the producer is silent (a backup tool waiting for its lock, or hung) must not leave the
// producer running, and holding that lock, until request_timeout: nothing is written meanwhile,
// so no failed write would tell. A client that exits closes with a FIN, which looks like a
// half-close: in v2 (ours: no client half-closes during a stream) that counts as gone too; a
// 1.8b5 client may half-close after its request and still read the stream, as old ones could.

export class ClientGoneError extends ExitError {
  constructor() {
    super("the client's connection closed before the stream ended");
    this.name = 'ClientGoneError';
  }
}

/**
 * Calls `onGone` once when the client's connection (`output`) closes, or with `endToo` when the
 * client ends its side; returns what stops watching.
 */
export function watchClientGone(output: Writable, onGone: () => void, endToo = false): () => void {
  if (output.closed || (endToo && output instanceof Duplex && output.readableEnded)) {
    queueMicrotask(onGone);
    return () => undefined;
  }
  let fired = false;
  const once = (): void => {
    if (fired) return;
    fired = true;
    onGone();
  };
  output.once('close', once);
  if (endToo) output.once('end', once);
  return () => {
    output.removeListener('close', once);
    output.removeListener('end', once);
  };
}

/** Rejects with ClientGoneError when the client's connection closes (or, `endToo`, ends); `stop` ends the watch. */
export function clientGone(output: Writable, endToo = false): { gone: Promise<never>; stop: () => void } {
  let stop = (): void => undefined;
  const gone = new Promise<never>((_resolve, reject) => {
    stop = watchClientGone(output, () => reject(new ClientGoneError()), endToo);
  });
  // Raced, never awaited alone: a rejection after the race is over is no one's concern.
  gone.catch(() => undefined);
  return { gone, stop };
}
