// Writing to a socket or pipe without losing data: wait for 'drain' when the stream's buffer is
// full, and turn 'error' / early 'close' into a rejected promise instead of a silent loss.
import type { Writable } from 'node:stream';
import { ExitError, ProtocolError, errorMessage } from '../errors.js';

type AnyWritable = NodeJS.WritableStream | Writable;

// process.stdout and sockets are Writables at run time; the NodeJS type just does not say so.
interface WritableState {
  destroyed?: boolean;
  writableEnded?: boolean;
}

// An 'error' emitted between two writes (EPIPE after the peer went away) must not crash the
// process as an unhandled event: remember it, and let the next write or end reject with it.
const lastError = new WeakMap<object, unknown>();
function guard(out: AnyWritable): void {
  if (lastError.has(out)) return;
  lastError.set(out, undefined);
  out.on('error', (err: unknown) => lastError.set(out, err));
}

function closedError(out: AnyWritable, what: string): Error {
  const err = lastError.get(out);
  if (err !== undefined) return wrap(err, what);
  return new ProtocolError(`${what}: the connection is already closed`);
}

function wrap(err: unknown, what: string): Error {
  if (err instanceof ExitError) return err;
  return new ProtocolError(`${what}: ${errorMessage(err)}`, { cause: err });
}

// What a stream has buffered and how much it may buffer, where it says so (Writable does).
interface WritableBuffer {
  writableLength?: number;
  writableHighWaterMark?: number;
  cork?: () => void;
  uncork?: () => void;
}

// write() says false whenever the buffer passed the high-water mark during the call, even if a
// socket handed everything to the kernel at once; what is left is what counts.
export function hasRoom(out: AnyWritable): boolean {
  const { writableLength, writableHighWaterMark } = out as WritableBuffer;
  if (typeof writableLength !== 'number' || typeof writableHighWaterMark !== 'number') return false;
  return writableLength < writableHighWaterMark;
}

/**
 * Writes data (several buffers as one write: a socket sends them with one writev); resolves
 * once the stream has taken it (immediately, or after 'drain' when its buffer is over the
 * high-water mark). Rejects if the stream errors or closes first.
 */
export function writeAll(out: AnyWritable, data: Buffer | string | readonly Buffer[]): Promise<void> {
  guard(out);
  const state = out as WritableState;
  if (state.destroyed || state.writableEnded) return Promise.reject(closedError(out, 'write failed'));
  // Write first, listen only if we must wait: adding and removing three listeners on every
  // write cost more than the write itself on a busy stream. An error of a write we did not wait
  // for is kept by guard() and rejects the next write or the end.
  let ok: boolean;
  if (typeof data === 'string' || Buffer.isBuffer(data)) {
    ok = out.write(data);
  } else {
    const buffered = out as WritableBuffer;
    buffered.cork?.();
    ok = true;
    for (const part of data) ok = out.write(part);
    buffered.uncork?.();
  }
  if (ok) return Promise.resolve();
  // A stream destroyed by write() itself is possible: waitForDrain rejects at once then.
  return waitForDrain(out);
}

/**
 * Writes `data` and resolves once `out` holds none of it: libuv has handed all of it to the
 * kernel (at once, or in the write's callback), so the caller may overwrite the buffer. Waiting
 * for this also waits out a full buffer, as writeAll does. Rejects if the write fails.
 */
export function writeReleased(out: Writable, data: Buffer): Promise<void> {
  guard(out);
  if (out.destroyed || out.writableEnded) return Promise.reject(closedError(out, 'write failed'));
  return new Promise<void>((resolve, reject) => {
    // Node calls the callback on failure too, the stream's destruction included.
    out.write(data, (err) => (err ? reject(wrap(err, 'write failed')) : resolve()));
    // Written through right away: the callback would come only a tick later.
    if (out.writableLength === 0) resolve();
  });
}

/**
 * Throws (the error the stream already had, or "already closed") if `out` can take no more
 * writes; else makes sure a later 'error' is kept for the next check instead of crashing us.
 * For senders that write synchronously and wait only for 'drain' (see waitForDrain).
 */
export function ensureWritable(out: AnyWritable, what = 'write failed'): void {
  guard(out);
  const state = out as WritableState;
  if (state.destroyed || state.writableEnded || lastError.get(out) !== undefined) throw closedError(out, what);
}

/** Resolves on 'drain' (at once if `out` has room again); rejects if it errors or closes first. */
export function waitForDrain(out: AnyWritable): Promise<void> {
  guard(out);
  if (hasRoom(out)) return Promise.resolve();
  if ((out as WritableState).destroyed) return Promise.reject(closedError(out, 'write failed'));
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      out.removeListener('drain', onDrain);
      out.removeListener('error', onError);
      out.removeListener('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = (): void => finish();
    const onError = (err: unknown): void => finish(wrap(err, 'write failed'));
    const onClose = (): void => finish(new ProtocolError('write failed: the connection closed before the data was sent'));
    out.on('drain', onDrain);
    out.on('error', onError);
    out.on('close', onClose);
  });
}

/** Ends the stream and waits until everything written has been flushed ('finish'). */
export function endWritable(out: Writable): Promise<void> {
  guard(out);
  if (out.writableFinished) return Promise.resolve();
  if (out.destroyed) return Promise.reject(closedError(out, 'end failed'));
  return new Promise<void>((resolve, reject) => {
    const finish = (err?: Error): void => {
      out.removeListener('finish', onFinish);
      out.removeListener('error', onError);
      out.removeListener('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onFinish = (): void => finish();
    const onError = (err: unknown): void => finish(wrap(err, 'end failed'));
    const onClose = (): void => {
      if (out.writableFinished) finish();
      else finish(new ProtocolError('end failed: the connection closed before all data was sent'));
    };
    out.on('finish', onFinish);
    out.on('error', onError);
    out.on('close', onClose);
    if (!out.writableEnded) out.end();
  });
}
