// The 1.8b5 data stream: the byte stream cut into 10240-byte chunks, each sent as a 4-byte
// big-endian length L and L bytes of uuencoded text. No end marker: the sender just closes.
import type { Writable } from 'node:stream';
import { ProtocolError, errorMessage } from '../errors.js';
import { ensureWritable, hasRoom, writeAll } from './io.js';
import type { StreamReader } from './streamReader.js';
import { uudecodedMaxLength, uudecodeInto, uuencodedLength, uuencodeInto } from './uuencode.js';

/** The old server read its producer 10240 bytes at a time; one frame per read. */
export const LEGACY_CHUNK = 10240;

/** A frame of 10240 bytes is 14112 bytes of text; anything near this limit is not our peer. */
const LEGACY_MAX_FRAME = 1024 * 1024;

function frameLength(chunkLength: number): number {
  return 4 + uuencodedLength(chunkLength);
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

  constructor(out: Writable) {
    this.out = out;
  }

  /** Input bytes accepted so far. */
  get bytes(): number {
    return this.total;
  }

  async write(data: Buffer): Promise<void> {
    this.enter();
    try {
      const wire = this.encode(data);
      if (wire) await writeAll(this.out, wire);
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
      const wire = this.encode(data);
      if (!wire) return true;
      return this.out.write(wire) || hasRoom(this.out);
    } finally {
      this.busy = false;
    }
  }

  // Takes data in; returns the frames it completes (one buffer), or null if none is complete.
  private encode(data: Buffer): Buffer | null {
    this.total += data.length;
    // One output buffer for all the frames this write completes: one write, no concatenation.
    let used = 0;
    const fromPending = this.filled > 0 ? Math.min(LEGACY_CHUNK - this.filled, data.length) : 0;
    const pendingFull = this.filled > 0 && this.filled + fromPending === LEGACY_CHUNK;
    const direct = Math.floor((data.length - fromPending) / LEGACY_CHUNK);
    const frames = (pendingFull ? 1 : 0) + direct;
    let wire: Buffer | null = null;
    if (frames > 0) {
      wire = Buffer.allocUnsafe(frames * frameLength(LEGACY_CHUNK));
      let o = 0;
      if (pendingFull) {
        data.copy(this.pending, this.filled, 0, fromPending);
        o = encodeFrameInto(this.pending, wire, o);
        this.filled = 0;
        used = fromPending;
      }
      for (let i = 0; i < direct; i++, used += LEGACY_CHUNK) {
        o = encodeFrameInto(data.subarray(used, used + LEGACY_CHUNK), wire, o);
      }
    }
    // What is left is less than a chunk: keep it for the next write.
    data.copy(this.pending, this.filled, used);
    this.filled += data.length - used;
    return wire;
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

// The next frame's text (empty for a 0-length frame); null on EOF between frames.
async function nextFrameText(reader: StreamReader): Promise<Buffer | null> {
  let header: Buffer | null;
  try {
    header = await reader.readExact(4);
  } catch (err) {
    throw new ProtocolError(`data stream cut inside a frame header: ${errorMessage(err)}`, { cause: err });
  }
  if (header === null) return null;
  const length = header.readUInt32BE(0);
  if (length > LEGACY_MAX_FRAME) throw new ProtocolError(`frame length ${length} is absurd (limit ${LEGACY_MAX_FRAME})`);
  if (length === 0) return Buffer.alloc(0); // the old server never sent one; decodes to nothing
  let text: Buffer | null;
  try {
    text = await reader.readExact(length);
  } catch (err) {
    throw new ProtocolError(`data stream cut inside a frame of ${length} bytes: ${errorMessage(err)}`, { cause: err });
  }
  if (text === null) throw new ProtocolError(`data stream cut after a frame header (expected ${length} bytes)`);
  return text;
}

// Length of the next frame's text if all of it has already arrived (reading it will not wait).
function bufferedFrameLength(reader: StreamReader): number {
  const header = reader.peek(4);
  if (header === null) return -1;
  const length = header.readUInt32BE(0);
  return length <= LEGACY_MAX_FRAME && reader.bufferedLength >= 4 + length ? length : -1;
}

/**
 * The decoded bytes until the sender closes the connection: each yield is one frame and the
 * frames after it that had already arrived, decoded into one buffer.
 */
export async function* readLegacyFrames(reader: StreamReader): AsyncGenerator<Buffer> {
  for (;;) {
    const text = await nextFrameText(reader);
    if (text === null) return;
    if (text.length === 0) continue;
    const out = Buffer.allocUnsafe(Math.max(DECODE_BATCH, uudecodedMaxLength(text.length)));
    let o = uudecodeInto(text, out, 0);
    try {
      for (;;) {
        const next = bufferedFrameLength(reader);
        if (next < 0 || o + uudecodedMaxLength(next) > out.length) break;
        o = uudecodeInto((await nextFrameText(reader)) as Buffer, out, o);
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

export function legacyFailureFrame(): Buffer {
  const junk = Buffer.alloc(1024);
  for (let o = 0; o < junk.length; o += LEGACY_FAILURE_TEXT.length) junk.write(LEGACY_FAILURE_TEXT, o, 'latin1');
  return encodeLegacyFrame(junk);
}
