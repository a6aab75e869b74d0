// The 1.8b5 data stream: the byte stream cut into 10240-byte chunks, each sent as a 4-byte
// big-endian length L and L bytes of uuencoded text. No end marker: the sender just closes.
import { Socket } from 'node:net';
import type { Writable } from 'node:stream';
import { ProtocolError, errorMessage } from '../errors.js';
import { ensureWritable, hasRoom, waitForDrain, writeAll } from './io.js';
import type { StreamReader } from './streamReader.js';
import { activeUuKernel, uudecodedMaxLength, uudecodeInto, uuencodedLength, uuencodeInto } from './uuencode.js';
import { IN, IN_BYTES, OUT, type UuKernel } from './uuSimd.js';

/** The old server read its producer 10240 bytes at a time; one frame per read. */
export const LEGACY_CHUNK = 10240;

/** A frame of 10240 bytes is 14112 bytes of text; anything near this limit is not our peer. */
const LEGACY_MAX_FRAME = 1024 * 1024;

function frameLength(chunkLength: number): number {
  return 4 + uuencodedLength(chunkLength);
}

/** The frame of a whole chunk: 14116 bytes. */
const CHUNK_FRAME = frameLength(LEGACY_CHUNK);

/** Whole chunks the kernel codes in one call. */
const KERNEL_CHUNKS = IN_BYTES / LEGACY_CHUNK;

// The kernel's slots not in a socket's hands (all of them once the kernel exists).
let freeSlots: number[] | undefined;

// out.write(wire), then release() once the socket is done with wire's memory: at once if libuv
// wrote all of it to the kernel right away (nothing left in out's queue), else from the write's
// callback. Not only from the callback: Node defers that to a tick, which a sender fed from
// promises may not reach before its next writes.
function writeThenRelease(out: Writable, wire: Buffer, release: () => void): boolean {
  let done = false;
  const once = (): void => {
    if (done) return;
    done = true;
    release();
  };
  const room = out.write(wire, once);
  if (out.writableLength === 0) once();
  return room;
}

// Writes the frames of the `chunks` whole chunks at IN in the kernel's memory to out, like
// out.write(). To a socket, from a slot of the kernel's memory itself if one is free, given back
// once the socket is done with it (writeThenRelease; Node calls the callback also when the
// write fails or the socket is destroyed); otherwise copied out into a buffer of `buffers`.
function writeKernelFrames(k: UuKernel, chunks: number, out: Writable, buffers: WireBuffers): boolean {
  const length = chunks * CHUNK_FRAME;
  freeSlots ??= [...k.slots];
  const slot = buffers.reusable ? freeSlots.pop() : undefined;
  if (slot !== undefined) {
    k.encodeFrames(chunks, slot);
    return writeThenRelease(out, Buffer.from(k.memory.buffer, k.memory.byteOffset + slot, length), () => freeSlots?.push(slot));
  }
  k.encodeFrames(chunks, OUT);
  const buf = buffers.get(length);
  buf.set(k.memory.subarray(OUT, OUT + length));
  return buffers.write(out, buf, length);
}

function encodeFrameInto(chunk: Buffer, target: Buffer, offset: number): number {
  const end = uuencodeInto(chunk, target, offset + 4);
  target.writeUInt32BE(end - offset - 4, offset);
  return end;
}

export function encodeLegacyFrame(chunk: Buffer): Buffer {
  const out = Buffer.allocUnsafe(frameLength(chunk.length));
  encodeFrameInto(chunk, out, 0);
  return out;
}

/**
 * The buffers a sender encodes into. Once libuv has handed a socket's bytes to the kernel
 * (writeThenRelease), their buffer can take the next frames: no allocation (and no garbage)
 * per write. Any other stream (a PassThrough, say) may still hold on to what it was given after
 * its callback, so there every write gets a fresh buffer.
 */
class WireBuffers {
  private readonly free: Buffer[] = [];

  constructor(readonly reusable: boolean) {}

  /** A buffer of at least `size` bytes for the next write. */
  get(size: number): Buffer {
    let buf = this.free.pop();
    while (buf !== undefined && buf.length < size) buf = this.free.pop();
    return buf ?? Buffer.allocUnsafe(size);
  }

  /** Writes buf[0, length) to out, like out.write(); buf comes back once the socket is done with it. */
  write(out: Writable, buf: Buffer, length: number): boolean {
    const wire = buf.subarray(0, length);
    if (!this.reusable) return out.write(wire);
    return writeThenRelease(out, wire, () => {
      if (this.free.length < 4) this.free.push(buf);
    });
  }
}

/**
 * Re-chunks whatever it is given into exactly 10240-byte chunks (the last one shorter), so the
 * wire is byte-identical to the old server whatever sizes the producer's pipe delivers.
 * Await each write() before the next (or use send() and wait for 'drain' when it says so).
 */
export class LegacySender {
  private readonly out: Writable;
  private readonly pending = Buffer.allocUnsafe(LEGACY_CHUNK);
  private filled = 0;
  private total = 0;
  private busy = false;
  private ended = false;
  private readonly buffers: WireBuffers;

  constructor(out: Writable) {
    this.out = out;
    this.buffers = new WireBuffers(out instanceof Socket);
  }

  /** Input bytes accepted so far. */
  get bytes(): number {
    return this.total;
  }

  async write(data: Buffer): Promise<void> {
    this.enter();
    try {
      ensureWritable(this.out);
      const room = this.push(data);
      // Always one await, so a write() not awaited still holds off the next one.
      await (room ? undefined : waitForDrain(this.out));
    } finally {
      this.busy = false;
    }
  }

  /**
   * As write(), synchronously: hands the frames to `out` at once; true while `out` has room for
   * more, false when the caller should wait for 'drain' before the next send.
   */
  send(data: Buffer): boolean {
    this.enter();
    try {
      ensureWritable(this.out);
      return this.push(data) || hasRoom(this.out);
    } finally {
      this.busy = false;
    }
  }

  // Takes data in and writes the frames it completes to out: false if out asked for a 'drain'.
  private push(data: Buffer): boolean {
    this.total += data.length;
    let used = 0;
    const fromPending = this.filled > 0 ? Math.min(LEGACY_CHUNK - this.filled, data.length) : 0;
    const pendingFull = this.filled > 0 && this.filled + fromPending === LEGACY_CHUNK;
    const direct = Math.floor((data.length - fromPending) / LEGACY_CHUNK);
    let room = true;
    const k = activeUuKernel();
    if (k !== null) {
      // The chunks go straight into the kernel's memory (the pending one in its two parts), up
      // to 16 frames a write.
      let batch = 0;
      if (pendingFull) {
        k.memory.set(this.pending.subarray(0, this.filled), IN);
        k.memory.set(data.subarray(0, fromPending), IN + this.filled);
        this.filled = 0;
        used = fromPending;
        batch = 1;
      }
      for (let left = direct; batch + left > 0; batch = 0) {
        const n = Math.min(left, KERNEL_CHUNKS - batch);
        k.memory.set(data.subarray(used, used + n * LEGACY_CHUNK), IN + batch * LEGACY_CHUNK);
        used += n * LEGACY_CHUNK;
        left -= n;
        room = writeKernelFrames(k, batch + n, this.out, this.buffers);
      }
    } else if (pendingFull || direct > 0) {
      // One buffer for all the frames this write completes: one write, no concatenation.
      const buf = this.buffers.get(((pendingFull ? 1 : 0) + direct) * CHUNK_FRAME);
      let o = 0;
      if (pendingFull) {
        data.copy(this.pending, this.filled, 0, fromPending);
        o = encodeFrameInto(this.pending, buf, o);
        this.filled = 0;
        used = fromPending;
      }
      for (let i = 0; i < direct; i++, used += LEGACY_CHUNK) {
        o = encodeFrameInto(data.subarray(used, used + LEGACY_CHUNK), buf, o);
      }
      room = this.buffers.write(this.out, buf, o);
    }
    // What is left is less than a chunk: keep it for the next write.
    data.copy(this.pending, this.filled, used);
    this.filled += data.length - used;
    return room;
  }

  /** Sends the last partial chunk (nothing at all for an empty stream). Does not end `out`. */
  async end(): Promise<void> {
    this.enter();
    this.ended = true;
    try {
      if (this.filled > 0) await writeAll(this.out, encodeLegacyFrame(this.pending.subarray(0, this.filled)));
      this.filled = 0;
    } finally {
      this.busy = false;
    }
  }

  private enter(): void {
    if (this.ended) throw new Error('LegacySender: write after end');
    if (this.busy) throw new Error('LegacySender: a write is still pending; await it first');
    this.busy = true;
  }
}

/** What one yield of readLegacyFrames holds at most: about six frames, one allocation. */
const DECODE_BATCH = 64 * 1024;

// Waits until the next frame (header and text) is all buffered, and returns the length of its
// text without taking anything; null on EOF between frames.
async function nextFrame(reader: StreamReader): Promise<number | null> {
  let complete: boolean;
  try {
    complete = await reader.ensure(4);
  } catch (err) {
    throw new ProtocolError(`data stream cut inside a frame header: ${errorMessage(err)}`, { cause: err });
  }
  if (!complete) {
    if (reader.bufferedLength === 0) return null;
    throw new ProtocolError(`data stream cut inside a frame header: connection closed after ${reader.bufferedLength} of 4 expected bytes`);
  }
  const length = (reader.peek(4) as Buffer).readUInt32BE(0);
  if (length > LEGACY_MAX_FRAME) throw new ProtocolError(`frame length ${length} is absurd (limit ${LEGACY_MAX_FRAME})`);
  try {
    complete = await reader.ensure(4 + length);
  } catch (err) {
    throw new ProtocolError(`data stream cut inside a frame of ${length} bytes: ${errorMessage(err)}`, { cause: err });
  }
  if (complete) return length;
  const got = reader.bufferedLength - 4;
  if (got === 0) throw new ProtocolError(`data stream cut after a frame header (expected ${length} bytes)`);
  throw new ProtocolError(`data stream cut inside a frame of ${length} bytes: connection closed after ${got} of ${length} expected bytes`);
}

// Length of the next frame's text if all of it has already arrived (reading it will not wait).
function bufferedFrameLength(reader: StreamReader): number {
  const header = reader.peek(4);
  if (header === null) return -1;
  const length = header.readUInt32BE(0);
  return length <= LEGACY_MAX_FRAME && reader.bufferedLength >= 4 + length ? length : -1;
}

/**
 * Takes a buffered frame text and decodes it into out at o, without allocating: the text is a
 * view of the received piece it lies in, or, when it spans pieces, copied into `scratch` (reused:
 * the decoding is done before the next frame is read).
 */
class FrameDecoder {
  private scratch = Buffer.alloc(0);

  constructor(private readonly reader: StreamReader) {}

  decode(length: number, out: Buffer, o: number): number {
    const first = this.reader.takeSome(length);
    if (first.length === length) return uudecodeInto(first, out, o);
    if (this.scratch.length < length) this.scratch = Buffer.allocUnsafe(Math.max(length, 2 * frameLength(LEGACY_CHUNK)));
    let got = first.copy(this.scratch, 0);
    while (got < length) got += this.reader.takeSome(length - got).copy(this.scratch, got);
    return uudecodeInto(this.scratch.subarray(0, length), out, o);
  }
}

export interface LegacyReadOptions {
  /**
   * Decode every yield into the same buffer, so a yield is valid only until the next step: for
   * consumers that hand each piece over before asking for the next (receiveIntoDir). A stream
   * of any length then allocates nothing per frame, and leaves no decoded pieces behind for
   * V8's full GC (they made a 1.8b5 client's RSS grow with the size of the backup).
   */
  reuseBuffer?: boolean;
}

/**
 * The decoded bytes until the sender closes the connection: each yield is one frame and the
 * frames after it that had already arrived, decoded into one buffer.
 */
export async function* readLegacyFrames(reader: StreamReader, opts: LegacyReadOptions = {}): AsyncGenerator<Buffer> {
  const frames = new FrameDecoder(reader);
  let reused: Buffer | undefined;
  const outBuffer = (n: number): Buffer => {
    if (!opts.reuseBuffer) return Buffer.allocUnsafe(n);
    // As large as a kernel call can make (it takes at most IN_BYTES of text), so it never grows.
    if (reused === undefined || reused.length < n) reused = Buffer.allocUnsafe(Math.max(n, IN_BYTES));
    return reused;
  };
  for (;;) {
    const length = await nextFrame(reader);
    if (length === null) return;
    // The frames already here through the kernel, as many as its memory holds, in one call.
    const k = length > 0 && 4 + length <= IN_BYTES ? activeUuKernel() : null;
    if (k !== null) {
      const taken = k.decodeFrames(reader.copyBuffered(k.memory, IN, IN_BYTES));
      if (taken > 0) {
        reader.skip(taken);
        const length = k.decodedLength();
        const out = outBuffer(length);
        out.set(k.memory.subarray(OUT, OUT + length));
        yield out.subarray(0, length);
        continue;
      }
    }
    // Otherwise (no kernel, an empty or huge frame, or a fault the kernel stopped at) in JS.
    reader.take(4);
    if (length === 0) continue; // the old server never sent one; decodes to nothing
    const out = outBuffer(Math.max(DECODE_BATCH, uudecodedMaxLength(length)));
    let o = frames.decode(length, out, 0);
    try {
      for (;;) {
        const next = bufferedFrameLength(reader);
        if (next < 0 || o + uudecodedMaxLength(next) > out.length) break;
        reader.take(4);
        o = frames.decode(next, out, o);
      }
    } catch (err) {
      yield out.subarray(0, o); // the frames before the bad one, as they would have come alone
      throw err;
    }
    yield out.subarray(0, o);
  }
}

/**
 * What a 1.8b5 sender puts on the wire when the stream it has started (or is about to send)
 * turns out not to be a good backup: 1.8b5 has no status, so the stream itself is made invalid.
 * A well-formed frame whose bytes are text, not a tar header: any 1.8b5 receiver feeds it to
 * `tar -x`, which fails ("This does not look like a tar archive" / "Skipping to next header").
 */
const LEGACY_FAILURE_TEXT = 'ZRM-INNOBACKUPEX: THE SERVER FAILED; THIS STREAM IS NOT A BACKUP. SEE THE SERVER LOG.\n';

/** The bytes a failure frame decodes to. */
export const LEGACY_FAILURE_BYTES = 1024;

export function legacyFailureFrame(): Buffer {
  const junk = Buffer.alloc(LEGACY_FAILURE_BYTES);
  for (let o = 0; o < junk.length; o += LEGACY_FAILURE_TEXT.length) junk.write(LEGACY_FAILURE_TEXT, o, 'latin1');
  return encodeLegacyFrame(junk);
}
