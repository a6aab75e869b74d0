import { Readable } from 'node:stream';
import { ExitError } from '../errors.js';
import { waitForDrain } from '../protocol/io.js';
import { releaseDeadBuffers } from '../process/deadBuffers.js';
import { clientGone } from './clientGone.js';
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

/**
 * The stall deadline of one stream: a single timer, refreshed when a wait begins and ignored
 * while nothing waits. A timer per chunk (set, raced, cleared 16 000 times a GiB) cost more
 * than the write it guarded.
 */
export class StallGuard {
  private timer: NodeJS.Timeout | undefined;
  private fail: ((err: Error) => void) | undefined;

  constructor(private readonly seconds: number, private readonly onStall: () => void) {}

  /** `work`, or StallError (after onStall) if it has not settled within the deadline. */
  async wait<T>(work: Promise<T>): Promise<T> {
    const stalled = new Promise<never>((_resolve, reject) => {
      this.fail = reject;
    });
    if (this.timer === undefined) this.timer = setTimeout(() => this.fire(), this.seconds * 1000);
    else this.timer.refresh();
    try {
      return await Promise.race([work, stalled]);
    } finally {
      this.fail = undefined;
    }
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  private fire(): void {
    const fail = this.fail;
    if (fail === undefined) return; // nothing was waiting: the last wait ended in time
    this.fail = undefined;
    this.onStall();
    fail(new StallError(this.seconds));
  }
}

/**
 * How a chunk goes to the client: synchronously, saying whether the client's buffer has room
 * for more (false: wait for 'drain'), or as a promise to wait for.
 */
export type SendChunk = (chunk: Buffer) => boolean | Promise<void>;

/**
 * Sends each chunk of `source` to the client, waiting (under one stall_timeout for the stream)
 * only when the client's buffer is full; counts the bytes. A Readable is consumed through its
 * 'data' events, paused while we wait: no promise or async-iterator step per chunk. Fails with
 * ClientGoneError as soon as the client's connection closes, however silent the source is.
 */
export async function pumpToClient(s: Session, source: AsyncIterable<Buffer>, send: SendChunk): Promise<void> {
  const client = clientGone(s.output, s.protocol === 'v2');
  // A stall closes the connection itself: the stall, not the closed connection, is the failure.
  const guard = new StallGuard(s.deps.config.server.stallTimeout, () => {
    client.stop();
    s.output.destroy();
  });
  const wait = (r: false | Promise<void>): Promise<void> => guard.wait(r === false ? waitForDrain(s.output) : r);
  try {
    await Promise.race([source instanceof Readable ? pumpReadable(source, s, send, wait) : pumpIterable(source, s, send, wait), client.gone]);
  } finally {
    client.stop();
    guard.dispose();
  }
}

async function pumpIterable(source: AsyncIterable<Buffer>, s: Session, send: SendChunk, wait: (r: false | Promise<void>) => Promise<void>): Promise<void> {
  for await (const chunk of source) {
    const r = send(chunk);
    s.bytes += chunk.length;
    releaseDeadBuffers(chunk.length);
    if (r !== true) await wait(r);
  }
}

function pumpReadable(source: Readable, s: Session, send: SendChunk, wait: (r: false | Promise<void>) => Promise<void>): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: unknown): void => {
      if (done) return;
      done = true;
      source.removeListener('data', onData);
      source.removeListener('end', onEnd);
      source.removeListener('error', finish);
      if (err === undefined) {
        resolve();
        return;
      }
      // As a for-await loop that threw would: the source is let go of (the caller stops its producer).
      source.on('error', () => undefined);
      source.destroy();
      reject(err);
    };
    const onEnd = (): void => finish();
    const onData = (chunk: Buffer): void => {
      if (done) return;
      let r: boolean | Promise<void>;
      try {
        r = send(chunk);
      } catch (err) {
        finish(err);
        return;
      }
      s.bytes += chunk.length;
      releaseDeadBuffers(chunk.length);
      if (r === true) return;
      source.pause();
      wait(r).then(() => {
        if (!done) source.resume();
      }, finish);
    };
    source.on('data', onData);
    source.once('end', onEnd);
    source.once('error', finish);
    if (source.errored) {
      finish(source.errored);
      return;
    }
    // A held stream (holdOutput) is paused: a 'data' listener alone would not start it.
    source.resume();
  });
}
