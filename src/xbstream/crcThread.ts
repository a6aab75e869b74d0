// The CRC-32 of large xbstream chunks, computed on a worker thread while the event loop reads
// and writes: zlib's crc32 runs at ~2 GB/s, as much CPU as everything else the extraction
// costs the event loop, and it is the one step that can move. The event loop copies each piece
// into a shared ring (a memcpy, several times cheaper than the CRC); the thread folds it into
// the running CRC. Each chunk has its own CRC, so a chunk is begun only once the thread has
// caught up with the last one: the running value is then handed over through `ctrl`.
// Small chunks (and runtimes without zlib.crc32) are checked in line: a thread costs more than
// it saves there.
import * as zlib from 'node:zlib';
import { Worker } from 'node:worker_threads';
import { crc32 } from './crc32.js';

/** Ring the event loop copies payload into; when the thread is a whole ring behind, it waits. */
const RING = 2 * 1024 * 1024;

/** Chunks shorter than this are checked in line. */
export const THREAD_MIN_CHUNK = 1024 * 1024;

// ctrl[] indexes: bytes written and read (totals, modulo 2^32 as int32), the running CRC of the
// current chunk (read and stored by the thread; set by the event loop only when the thread is
// idle), and the end flag.
const WRITTEN = 0;
const READ = 1;
const CRC = 2;
const DONE = 3;

/** How long one wait for the thread lasts before its health is checked again (ms). */
const WAIT_SLICE_MS = 200;

// Plain JavaScript run with eval (the packages ship one bundled file: no worker file to point at).
const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { crc32 } = require('node:zlib');
const ctrl = new Int32Array(workerData.ctrl);
const ring = new Uint8Array(workerData.ring);
const size = ring.length;
const STEP = 256 * 1024; // READ moves on in steps, so the event loop can refill the ring sooner
let read = 0;
let pos = 0;
for (;;) {
  const written = Atomics.load(ctrl, ${WRITTEN});
  const avail = (written - read) | 0;
  if (avail === 0) {
    if (Atomics.load(ctrl, ${DONE}) === 1) break;
    Atomics.wait(ctrl, ${WRITTEN}, written, 1000);
    continue;
  }
  const n = Math.min(avail, size - pos, STEP);
  const crc = crc32(ring.subarray(pos, pos + n), Atomics.load(ctrl, ${CRC}) >>> 0);
  Atomics.store(ctrl, ${CRC}, crc | 0);
  pos = (pos + n) % size;
  read = (read + n) | 0;
  Atomics.store(ctrl, ${READ}, read);
  Atomics.notify(ctrl, ${READ});
}
`;

// ES2024's Atomics.waitAsync (Node >= 16); the lib we compile against does not declare it.
type WaitAsync = (a: Int32Array, index: number, value: number, timeoutMs: number) => { async: boolean; value: unknown };
const waitAsync = (Atomics as unknown as { waitAsync: WaitAsync }).waitAsync;

const hasNative = typeof (zlib as unknown as { crc32?: unknown }).crc32 === 'function';

/** The CRC of one chunk's sparse map and payload, fed piece by piece. */
export interface ChunkCrc {
  /** Adds a piece; a promise means: wait before the next one (the ring is full). */
  update(piece: Buffer): void | Promise<void>;
  /** The CRC of everything added since the chunk began. */
  result(): number | Promise<number>;
}

class InlineCrc implements ChunkCrc {
  constructor(private crc: number) {}

  update(piece: Buffer): void {
    this.crc = crc32(piece, this.crc);
  }

  result(): number {
    return this.crc;
  }
}

/** The thread and its ring; one chunk at a time. */
class CrcThread implements ChunkCrc {
  private readonly ctrl = new Int32Array(new SharedArrayBuffer(4 * 4));
  private readonly ring = new Uint8Array(new SharedArrayBuffer(RING));
  private readonly worker: Worker;
  private failure: Error | undefined;
  private written = 0;
  private pos = 0;

  constructor() {
    // stdout/stderr: true keeps anything the thread might print off ours (under xinetd the client's socket).
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl: this.ctrl.buffer, ring: this.ring.buffer },
      stdout: true,
      stderr: true,
      // It allocates next to nothing: a small heap keeps its RSS small.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, codeRangeSizeMb: 4 },
    });
    worker.unref(); // an abandoned extraction must not keep the process alive
    worker.once('error', (err) => {
      this.failure ??= err;
    });
    worker.once('exit', (code) => {
      this.failure ??= new Error(`the CRC-32 thread exited (${code}) in the middle of a chunk`);
    });
    this.worker = worker;
  }

  /** Starts a chunk whose CRC so far (its sparse map's) is `initial`. The thread must be idle. */
  begin(initial: number): this {
    if (Atomics.load(this.ctrl, READ) !== this.written) throw new Error('CrcThread: a chunk begun before the last one was finished');
    Atomics.store(this.ctrl, CRC, initial | 0);
    return this;
  }

  update(piece: Buffer): void | Promise<void> {
    for (let off = 0; off < piece.length; ) {
      if (this.failure) throw this.failure;
      const read = Atomics.load(this.ctrl, READ);
      const free = RING - ((this.written - read) | 0);
      if (free === 0) {
        const rest = piece.subarray(off);
        return this.readMoves(read).then(() => this.update(rest));
      }
      const n = Math.min(free, piece.length - off, RING - this.pos);
      this.ring.set(piece.subarray(off, off + n), this.pos);
      this.pos = (this.pos + n) % RING;
      this.written = (this.written + n) | 0;
      off += n;
      Atomics.store(this.ctrl, WRITTEN, this.written);
      Atomics.notify(this.ctrl, WRITTEN);
    }
  }

  async result(): Promise<number> {
    for (;;) {
      if (this.failure) throw this.failure;
      const read = Atomics.load(this.ctrl, READ);
      if (read === this.written) return Atomics.load(this.ctrl, CRC) >>> 0;
      await this.readMoves(read);
    }
  }

  /** Stops the thread (its loop ends at the flag; terminate in case it is stuck). */
  close(): void {
    Atomics.store(this.ctrl, DONE, 1);
    Atomics.notify(this.ctrl, WRITTEN);
    void this.worker.terminate();
  }

  // Resolves when READ is no longer `read` (or after a slice, so a dead thread is noticed).
  // A pending waitAsync holds no handle: the thread is ref'd meanwhile, or the process could
  // end with nothing else left to do.
  private async readMoves(read: number): Promise<void> {
    const w = waitAsync(this.ctrl, READ, read, WAIT_SLICE_MS);
    if (!w.async) return;
    this.worker.ref();
    try {
      await w.value;
    } finally {
      this.worker.unref();
    }
  }
}

/**
 * Hands out a ChunkCrc per chunk: the thread for chunks of THREAD_MIN_CHUNK or more (started
 * on the first), in line otherwise. close() when the stream is done or abandoned.
 */
export class CrcEngine {
  private thread: CrcThread | undefined;

  constructor(private readonly useThread = hasNative) {}

  /** The CRC of a chunk of `length` payload bytes, starting from `initial` (its sparse map's). */
  chunk(initial: number, length: number): ChunkCrc {
    if (!this.useThread || length < THREAD_MIN_CHUNK) return new InlineCrc(initial);
    this.thread ??= new CrcThread();
    return this.thread.begin(initial);
  }

  close(): void {
    this.thread?.close();
    this.thread = undefined;
  }
}
