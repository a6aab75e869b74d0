// A v2 data stream whose frames carry the payload compressed (protocol 2.2). The trailer keeps
// the payload's own byte count and SHA-256, counted before the compressor on the sender and after
// the decompressor on the receiver, so the check covers both; `wireBytes` counts the frames.
import { once } from 'node:events';
import { availableParallelism } from 'node:os';
import type { Writable } from 'node:stream';
import { ExitError, IntegrityError, errorMessage } from '../errors.js';
import { createDecoder, encodeBlock, type Codec, type Encoding } from './compression.js';
import { waitForDrain } from './io.js';
import type { StreamReader } from './streamReader.js';
import { PayloadTally, V2Sender, checkPayload, readV2Frames, type Trailer, type V2HashOptions, type V2ReadOptions } from './v2Frames.js';

/** Payload bytes compressed as one block (one gzip member): large enough to lose next to nothing in ratio. */
const BLOCK = 1024 * 1024;

/** Blocks compressed at once: the cores that can work on them, within libuv's thread pool of 4. */
const IN_FLIGHT = Math.max(2, Math.min(4, availableParallelism()));

/**
 * A block that compresses to more than this share of itself did not pay (random, encrypted or
 * already compressed data): the next STORED_RUN blocks go stored, then one is tried again.
 * Deflate on such data costs 3-4 times what it costs on text, for nothing.
 */
const NO_GAIN = 0.95;
const STORED_RUN = 8;

/** A partial block waits at most this long for more bytes (a producer that pauses must not stall the client). */
const FLUSH_MS = 500;

/**
 * Sends a payload compressed in v2 frames. The payload is cut into blocks, each compressed on
 * libuv's thread pool as a gzip member of its own, several at a time (one deflate stream runs
 * on one core: gzip:1 makes 30-100 MB/s of it), and framed in order as they come back.
 * Back-pressure: send() returns a promise while IN_FLIGHT blocks are compressing or waiting for
 * room on the socket.
 */
export class CompressingSender {
  private readonly sender: V2Sender;
  private readonly out: Writable;
  private readonly enc: Encoding;
  /** The block being filled, and how far; blocks come back to `spare` once compressed (no 1 MiB garbage per MiB sent). */
  private block: Buffer | undefined;
  private fill = 0;
  private readonly spare: Buffer[] = [];
  private blocks = 0;
  /** Each block in flight: resolves once it is framed (in order, each after the one before). */
  private readonly queue: Array<Promise<void>> = [];
  private timer: NodeJS.Timeout | undefined;
  /** Blocks still to send stored after one that did not shrink. */
  private storedLeft = 0;
  private storedBlocks = 0;

  constructor(out: Writable, enc: Encoding, opts: V2HashOptions = {}) {
    this.sender = new V2Sender(out, opts);
    this.out = out;
    this.enc = enc;
  }

  /** Counts, hashes and queues `data` for compression: true while fewer than IN_FLIGHT blocks are on their way, else a promise to wait for. */
  send(data: Buffer): boolean | Promise<void> {
    this.sender.account(data);
    for (let at = 0; at < data.length; ) {
      this.block ??= this.spare.pop() ?? Buffer.allocUnsafe(BLOCK);
      const n = data.copy(this.block, this.fill, at);
      this.fill += n;
      at += n;
      if (this.fill === BLOCK) this.dispatch();
    }
    if (this.fill > 0) this.timer ??= setTimeout(() => this.dispatch(), FLUSH_MS);
    const oldest = this.queue[0];
    return this.queue.length < IN_FLIGHT || oldest === undefined ? true : oldest;
  }

  /** Compresses what is pending as one block, framed after the blocks before it. */
  private dispatch(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const owner = this.block;
    const block = owner ? owner.subarray(0, this.fill) : Buffer.alloc(0);
    this.block = undefined;
    this.fill = 0;
    this.blocks++;
    const stored = this.enc.codec === 'gzip' && this.storedLeft > 0;
    if (stored) {
      this.storedLeft--;
      this.storedBlocks++;
    }
    const encoded = encodeBlock(this.enc, block, { stored });
    const before = this.queue.at(-1);
    const framed = (async () => {
      const wire = await encoded;
      if (owner) this.spare.push(owner); // zlib is done with it
      if (!stored && wire.length > block.length * NO_GAIN) this.storedLeft = STORED_RUN;
      await before;
      if (!this.sender.sendEncoded(wire)) await waitForDrain(this.out);
    })();
    this.queue.push(framed);
    // Reported by the send() or end() that waits on it, or by a later block's (which awaits this one).
    framed.then(() => this.queue.shift(), () => undefined);
  }

  /** Blocks so far, and how many of them went stored (for the log). */
  get blockCounts(): { blocks: number; stored: number } {
    return { blocks: this.blocks, stored: this.storedBlocks };
  }

  /** Compresses and frames the rest, then writes the end frame and the trailer. Does not end `out`. */
  async end(status: { ok: boolean; exitCode: number | null; message: string }): Promise<Trailer> {
    // Nothing at all still makes one (empty) member: the receiver's decompressor needs a whole stream.
    if (this.fill > 0 || this.blocks === 0) this.dispatch();
    await this.queue.at(-1);
    return this.sender.end(status);
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
