// The v2 data stream: raw frames (4-byte big-endian length, 1..4 MiB of payload), a 0-length
// frame, then one JSON line, the trailer, that says whether the producer succeeded and lets the
// receiver check the byte count and SHA-256 of everything it got. In 2.2 the frames may carry
// the payload compressed (compressionFrames.ts): the trailer still states the payload's own count
// and SHA-256, plus the frames' count as `wireBytes`.
import type { Writable } from 'node:stream';
import { IntegrityError, ProtocolError, errorMessage } from '../errors.js';
import { releaseDeadBuffers } from '../process/deadBuffers.js';
import { StreamSha256 } from './backgroundHash.js';
import { ensureWritable, hasRoom, writeAll } from './io.js';
import type { StreamReader } from './streamReader.js';

export const V2_MAX_FRAME = 4 * 1024 * 1024;
/** Bytes of frames V2Sender.send gathers (corked) before it hands them to the socket at once. */
const GATHER_BYTES = 1024 * 1024;
const MAX_TRAILER = 64 * 1024;

export interface V2HashOptions {
  /**
   * Hash on a worker thread, in parallel with the socket and the disk (StreamSha256): for
   * streams expected to be large (a backup, a copy), where the machine has cores to spare
   * (HASH_THREAD_MIN_CORES; 'always': whatever the cores, for tests); else in line.
   */
  backgroundHash?: boolean | 'always';
}

/**
 * The payload as the trailer states it: its byte count and SHA-256 (on a thread, or in line, as
 * the options say).
 */
export class PayloadTally {
  private readonly hash: StreamSha256;
  bytes = 0;

  constructor(opts: V2HashOptions) {
    this.hash = new StreamSha256(opts.backgroundHash === true || opts.backgroundHash === 'always', { forceThread: opts.backgroundHash === 'always' });
  }

  update(data: Buffer): void {
    this.hash.update(data);
    this.bytes += data.length;
  }

  digest(): Promise<string> {
    return this.hash.digest();
  }

  /** A stream given up half way: stops its hashing thread. */
  dispose(): void {
    this.hash.dispose();
  }
}

export interface Trailer {
  ok: boolean;
  exitCode: number | null;
  /** Payload bytes (before any compression). */
  bytes: number;
  sha256: string;
  message: string;
  /** 2.2, compressed streams only: the bytes the frames carried. Older receivers ignore it. */
  wireBytes?: number;
}

function frameHeader(length: number): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(length, 0);
  return header;
}

/** Sends raw frames, counting and hashing the payload as it goes. Await each write() before the next. */
export class V2Sender {
  private readonly out: Writable;
  private readonly tally: PayloadTally;
  /** Bytes of encoded frames (sendEncoded); undefined while the payload travels as it is. */
  private wireBytes: number | undefined;
  private ended = false;
  private busy = false;
  /** Set while frame() holds `out` corked: the flush at the end of this turn of the loop. */
  private flushTimer: NodeJS.Immediate | undefined;

  constructor(out: Writable, opts: V2HashOptions = {}) {
    this.out = out;
    this.tally = new PayloadTally(opts);
  }

  /** Payload bytes accepted so far. */
  get bytes(): number {
    return this.tally.bytes;
  }

  /**
   * Frames, counts and hashes `data` and hands it to `out` at once (headers and payloads in
   * one writev); true while `out` has room for more, false when the caller should wait for
   * 'drain'. The synchronous form: no promise per chunk on the hot path.
   */
  send(data: Buffer): boolean {
    this.checkOpen();
    if (data.length === 0) return true;
    ensureWritable(this.out);
    this.tally.update(data);
    return this.frame(data);
  }

  /** Counts and hashes payload that goes out encoded (sendEncoded), without framing it. */
  account(data: Buffer): void {
    this.checkOpen();
    this.tally.update(data);
  }

  /** Frames bytes of the payload's encoding (compressed), counted as wire bytes; as send(). */
  sendEncoded(wire: Buffer): boolean {
    this.checkOpen();
    this.wireBytes = (this.wireBytes ?? 0) + wire.length;
    if (wire.length === 0) return true;
    ensureWritable(this.out);
    return this.frame(wire);
  }

  private checkOpen(): void {
    if (this.ended) throw new Error('V2Sender: write after end');
    if (this.busy) throw new Error('V2Sender: a write is still pending; await it first');
  }

  /**
   * Frames `data` into `out`, corked: the frames of the pieces that arrive in the same turn of
   * the event loop (a tool's stdout hands over several 64 KiB pieces at once) go to the socket
   * in one writev at the end of the turn, or as soon as GATHER_BYTES wait: about a tenth of
   * the writevs of one per 64 KiB piece, each a pass through the TCP stack (over loopback the
   * receiver's part too). The bytes held are bounded by GATHER_BYTES, not by the socket's
   * high-water mark, so the caller is told to wait only beyond it.
   */
  private frame(data: Buffer): boolean {
    const out = this.out;
    if (this.flushTimer === undefined) {
      out.cork();
      this.flushTimer = setImmediate(this.flushGathered);
    }
    for (let start = 0; start < data.length; start += V2_MAX_FRAME) {
      const piece = start === 0 && data.length <= V2_MAX_FRAME ? data : data.subarray(start, Math.min(start + V2_MAX_FRAME, data.length));
      out.write(frameHeader(piece.length));
      out.write(piece);
    }
    if (out.writableLength < GATHER_BYTES) return true; // more may be gathered: nothing is sent yet
    this.flushGathered();
    return hasRoom(out);
  }

  /** Sends what frame() gathered (uncorks `out`); a no-op when nothing waits. */
  private readonly flushGathered = (): void => {
    if (this.flushTimer === undefined) return;
    clearImmediate(this.flushTimer);
    this.flushTimer = undefined;
    this.out.uncork();
  };

  async write(data: Buffer): Promise<void> {
    if (this.ended) throw new Error('V2Sender: write after end');
    if (this.busy) throw new Error('V2Sender: a write is still pending; await it first');
    if (data.length === 0) return;
    this.flushGathered();
    this.busy = true;
    try {
      this.tally.update(data);
      releaseDeadBuffers(data.length);
      // Headers and payloads in one write: one writev on a socket, one wait at most.
      const parts: Buffer[] = [];
      for (let start = 0; start < data.length; start += V2_MAX_FRAME) {
        const piece = data.subarray(start, Math.min(start + V2_MAX_FRAME, data.length));
        parts.push(frameHeader(piece.length), piece);
      }
      await writeAll(this.out, parts);
    } finally {
      this.busy = false;
    }
  }

  /** Writes the end frame and the trailer; returns the trailer. Does not end `out`. */
  async end(status: { ok: boolean; exitCode: number | null; message: string }): Promise<Trailer> {
    if (this.ended) throw new Error('V2Sender: end called twice');
    if (this.busy) throw new Error('V2Sender: a write is still pending; await it first');
    this.ended = true;
    this.flushGathered();
    const trailer: Trailer = {
      ok: status.ok,
      exitCode: status.exitCode,
      bytes: this.tally.bytes,
      sha256: await this.tally.digest(),
      message: status.message,
      ...(this.wireBytes === undefined ? {} : { wireBytes: this.wireBytes }),
    };
    await writeAll(this.out, Buffer.concat([frameHeader(0), Buffer.from(`${JSON.stringify(trailer)}\n`)]));
    return trailer;
  }
}

function parseTrailer(line: string): Trailer {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (err) {
    throw new IntegrityError(`data stream trailer is not JSON: ${errorMessage(err)}`);
  }
  const t = value as Partial<Record<keyof Trailer, unknown>> | null;
  if (
    typeof t !== 'object' || t === null ||
    typeof t.ok !== 'boolean' ||
    !(t.exitCode === null || Number.isInteger(t.exitCode)) ||
    !Number.isSafeInteger(t.bytes) || (t.bytes as number) < 0 ||
    typeof t.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(t.sha256) ||
    typeof t.message !== 'string' ||
    !(t.wireBytes === undefined || (Number.isSafeInteger(t.wireBytes) && (t.wireBytes as number) >= 0))
  ) {
    throw new IntegrityError(`data stream trailer is malformed: ${line.slice(0, 200)}`);
  }
  return t as Trailer;
}

function cut(what: string, err?: unknown): IntegrityError {
  const why = err === undefined ? '' : `: ${errorMessage(err)}`;
  return new IntegrityError(`data stream ended ${what}, before its trailer: the sender failed or the connection broke${why}`, {
    cause: err,
  });
}

export interface V2ReadOptions extends V2HashOptions {
  /** Told the checked trailer just before the generator returns it (a for-await loop drops it). */
  onTrailer?: (trailer: Trailer) => void;
  /**
   * The frames carry an encoding of the payload (2.2 compression): they are counted against the
   * trailer's `wireBytes`, not hashed, and the caller checks the decoded payload (checkPayload).
   */
  encoded?: boolean;
}

/**
 * Yields the payload of each frame, in the pieces it arrived in; after the end frame reads the
 * trailer and checks it against what was received. IntegrityError if it is missing, malformed,
 * ok:false, or does not match. One generator, no delegation: every layer of async generators
 * cost each 64 KiB piece a few promises more.
 */
export async function* readV2Frames(reader: StreamReader, opts: V2ReadOptions = {}): AsyncGenerator<Buffer, Trailer> {
  const tally = opts.encoded ? undefined : new PayloadTally(opts);
  try {
    let total = 0;
    for (;;) {
      // What is already buffered is taken without an await.
      let header: Buffer | null;
      try {
        header = reader.available >= 4 ? reader.take(4) : await reader.readExact(4);
      } catch (err) {
        throw cut('inside a frame header', err);
      }
      if (header === null) throw cut(`after ${total} bytes`);
      const length = header.readUInt32BE(0);
      if (length === 0) break;
      if (length > V2_MAX_FRAME) throw new ProtocolError(`frame length ${length} exceeds the limit of ${V2_MAX_FRAME}`);
      // The payload as it arrived, piece by piece: frames rarely line up with the socket's
      // reads, and joining the pieces would copy nearly every frame.
      for (let left = length; left > 0; ) {
        let piece: Buffer | null;
        try {
          piece = reader.available > 0 ? reader.takeSome(left) : await reader.readSome(left);
        } catch (err) {
          throw cut(`inside a frame of ${length} bytes`, err);
        }
        if (piece === null) {
          if (left === length) throw cut(`after a frame header (expected ${length} bytes)`);
          throw cut(`inside a frame of ${length} bytes (after ${length - left})`);
        }
        tally?.update(piece);
        total += piece.length;
        left -= piece.length;
        yield piece;
      }
    }
    const trailer = await readTrailer(reader);
    if (tally) await checkPayload(trailer, tally);
    else if (trailer.wireBytes !== undefined && trailer.wireBytes !== total) {
      throw new IntegrityError(`received ${total} bytes on the wire but the sender sent ${trailer.wireBytes}`);
    }
    opts.onTrailer?.(trailer);
    return trailer;
  } finally {
    tally?.dispose();
  }
}

/** The trailer after the end frame; IntegrityError when it is missing, malformed or says the sender failed. */
async function readTrailer(reader: StreamReader): Promise<Trailer> {
  let line: string | null;
  try {
    line = await reader.readLine(MAX_TRAILER);
  } catch (err) {
    throw new IntegrityError(`data stream trailer unreadable: ${errorMessage(err)}`, { cause: err });
  }
  if (line === null) throw cut('after the end frame');
  const trailer = parseTrailer(line);
  if (!trailer.ok) {
    throw new IntegrityError(`the sender reported a failure (exit code ${trailer.exitCode ?? 'none'}): ${trailer.message}`);
  }
  return trailer;
}

/** IntegrityError unless the payload received is, by count and SHA-256, what the trailer says was sent. */
export async function checkPayload(trailer: Trailer, received: PayloadTally): Promise<void> {
  if (trailer.bytes !== received.bytes) throw new IntegrityError(`received ${received.bytes} bytes but the sender sent ${trailer.bytes}`);
  const sha256 = await received.digest();
  if (trailer.sha256 !== sha256) {
    throw new IntegrityError(`SHA-256 of the received data ${sha256} differs from the sender's ${trailer.sha256}`);
  }
}
