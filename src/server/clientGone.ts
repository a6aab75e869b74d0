import type { Writable } from 'node:stream';
import { ExitError } from '../errors.js';

// A client whose connection closes (it gave up, it reset, or [server] idle_timeout cut it off)
// while the producer is silent (a backup tool waiting for its lock, or hung) must not leave the
// producer running, and holding that lock, until request_timeout: nothing is written meanwhile,
// so no failed write would tell. Only a closed connection counts, not the client's EOF: a client
// may half-close after its request and still read the stream, as old ones could.

export class ClientGoneError extends ExitError {
  constructor() {
    super("the client's connection closed before the stream ended");
    this.name = 'ClientGoneError';
  }
}

/** Calls `onGone` once when the client's connection (`output`) closes; returns what stops watching. */
export function watchClientGone(output: Writable, onGone: () => void): () => void {
  if (output.closed) {
    queueMicrotask(onGone);
    return () => undefined;
  }
  output.once('close', onGone);
  return () => {
    output.removeListener('close', onGone);
  };
}

/** Rejects with ClientGoneError when the client's connection closes; `stop` ends the watch. */
export function clientGone(output: Writable): { gone: Promise<never>; stop: () => void } {
  let stop = (): void => undefined;
  const gone = new Promise<never>((_resolve, reject) => {
    stop = watchClientGone(output, () => reject(new ClientGoneError()));
  });
  // Raced, never awaited alone: a rejection after the race is over is no one's concern.
  gone.catch(() => undefined);
  return { gone, stop };
}
