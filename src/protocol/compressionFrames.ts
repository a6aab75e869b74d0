// A v2 data stream whose frames carry the payload compressed (protocol 2.2). The trailer keeps
// the payload's own byte count and SHA-256, counted before the compressor on the sender and after
// the decompressor on the receiver, so the check covers both; `wireBytes` counts the frames.
import { once } from 'node:events';
import { finished } from 'node:stream/promises';
import type { Transform, Writable } from 'node:stream';
import { ExitError, IntegrityError, errorMessage } from '../errors.js';
import { createDecoder, createEncoder, type Codec, type Encoding } from './compression.js';
import { waitForDrain } from './io.js';
import type { StreamReader } from './streamReader.js';
import { PayloadTally, V2Sender, checkPayload, readV2Frames, type Trailer, type V2HashOptions, type V2ReadOptions } from './v2Frames.js';

/**
 * Sends a payload compressed in v2 frames. The compressor runs on zlib's thread pool; its output
 * is framed as it comes. Back-pressure both ways: a full socket pauses the compressor, and a full
 * compressor makes send() return a promise to wait for.
 */
export class CompressingSender {
  private readonly sender: V2Sender;
  private readonly z: Transform;
  private readonly flushed: Promise<void>;

  constructor(out: Writable, enc: Encoding, opts: V2HashOptions = {}) {
    this.sender = new V2Sender(out, opts);
    const z = createEncoder(enc);
    this.z = z;
    z.on('data', (chunk: Buffer) => {
      try {
        if (this.sender.sendEncoded(chunk)) return;
      } catch (err) {
        z.destroy(err as Error);
        return;
      }
      z.pause();
      waitForDrain(out).then(() => z.resume(), (err: Error) => z.destroy(err));
    });
    this.flushed = finished(z);
    this.flushed.catch(() => undefined); // reported by end()
  }

  /** Payload bytes accepted so far. */
  get bytes(): number {
    return this.sender.bytes;
  }

  /** Compressed bytes framed so far. */
  get wireBytes(): number {
    return this.sender.framedBytes;
  }

  /** Counts, hashes and compresses `data`: true when the compressor has room for more, else a promise to wait for. */
  send(data: Buffer): boolean | Promise<void> {
    this.sender.account(data);
    if (this.z.write(data)) return true;
    return once(this.z, 'drain').then(() => undefined);
  }

  /** Flushes the compressor, then writes the end frame and the trailer. Does not end `out`. */
  async end(status: { ok: boolean; exitCode: number | null; message: string }): Promise<Trailer> {
    if (!this.z.destroyed) this.z.end();
    await this.flushed;
    return this.sender.end(status);
  }

  /** Gives the compressor up (a stream abandoned half way). */
  dispose(): void {
    this.z.destroy();
  }
}

function corrupt(codec: Codec, err: unknown): ExitError {
  if (err instanceof ExitError) return err;
  return new IntegrityError(`the compressed data stream (${codec}) is corrupt: ${errorMessage(err)}`, { cause: err });
}

/**
 * The payload of a compressed v2 stream: the frames through the decompressor, counted and hashed
 * after it, checked against the trailer. Streamed: frames are read only as fast as the
 * decompressed bytes are taken. IntegrityError for a corrupt or cut compressed stream.
 */
export async function* readCompressedV2(reader: StreamReader, codec: Codec, opts: V2ReadOptions = {}): AsyncGenerator<Buffer, Trailer> {
  let trailer: Trailer | undefined;
  const frames = readV2Frames(reader, {
    encoded: true,
    onTrailer: (t) => {
      trailer = t;
    },
  });
  const z = createDecoder(codec);
  const tally = new PayloadTally(opts);
  const stop = new AbortController();
  const feeding = (async () => {
    for await (const piece of frames) {
      if (!z.write(piece)) await once(z, 'drain', { signal: stop.signal });
    }
    z.end();
  })();
  // A cut stream or a failed sender (the frames' errors) ends the decompressed stream with that error.
  feeding.catch((err: unknown) => z.destroy(err as Error));
  try {
    for await (const out of z as AsyncIterable<Buffer>) {
      tally.update(out);
      yield out;
    }
    await feeding;
    if (!trailer) throw new IntegrityError('data stream ended without its trailer');
    await checkPayload(trailer, tally);
    opts.onTrailer?.(trailer);
    return trailer;
  } catch (err) {
    throw corrupt(codec, err);
  } finally {
    stop.abort();
    z.destroy();
    tally.dispose();
  }
}
