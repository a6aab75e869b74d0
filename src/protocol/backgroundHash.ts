// SHA-256 of a stream, computed on a worker thread while the event loop moves the bytes: on
// its own thread hashing costs the event loop one memcpy into a shared ring instead of the hash
// itself (the hash is as expensive as everything else a v2 stream costs a process).
// The ring is a SharedArrayBuffer: no message, allocation or transfer per chunk. When the
// worker is a whole ring behind, update() waits for it (Atomics.wait; microseconds, since the
// hash outruns the network), so memory stays bounded.
import { createHash, type Hash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const RING = 2 * 1024 * 1024;

// ctrl[] words. WRITTEN/READ: bytes written and read (totals, modulo 2^32 as int32). DONE: the
// end. A side about to sleep raises its *_WAITING flag and sleeps on its *_EVENT word; the other
// side bumps and notifies that word only when the flag is up, so the busy path costs no futex
// call (a wake-up per chunk was most of what hashing on a thread cost the event loop).
const WRITTEN = 0;
const READ = 1;
const DONE = 2;
const WORKER_WAITING = 3;
const WORKER_EVENT = 4;
const MAIN_WAITING = 5;
const MAIN_EVENT = 6;
const CTRL_WORDS = 7;

// Plain JavaScript run with eval (the packages ship one bundled file: no worker file to point at).
// Sleeping: read the event word, raise the flag, look again, and only then wait on the word; the
// writer stores its data first and reads the flag after, so one of the two always sees the other.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { createHash } = require('node:crypto');
const { ctrl: ctrlBuf, ring: ringBuf } = workerData;
const ctrl = new Int32Array(ctrlBuf);
const ring = new Uint8Array(ringBuf);
const size = ring.length;
const hash = createHash('sha256');
let read = 0;
let pos = 0;
for (;;) {
  const written = Atomics.load(ctrl, ${WRITTEN});
  const avail = (written - read) | 0;
  if (avail === 0) {
    if (Atomics.load(ctrl, ${DONE}) === 1 && Atomics.load(ctrl, ${WRITTEN}) === written) break;
    const event = Atomics.load(ctrl, ${WORKER_EVENT});
    Atomics.store(ctrl, ${WORKER_WAITING}, 1);
    if (Atomics.load(ctrl, ${WRITTEN}) === written && Atomics.load(ctrl, ${DONE}) === 0) {
      Atomics.wait(ctrl, ${WORKER_EVENT}, event, 1000);
    }
    Atomics.store(ctrl, ${WORKER_WAITING}, 0);
    continue;
  }
  const n = Math.min(avail, size - pos);
  hash.update(ring.subarray(pos, pos + n));
  pos = (pos + n) % size;
  read = (read + n) | 0;
  Atomics.store(ctrl, ${READ}, read);
  if (Atomics.load(ctrl, ${MAIN_WAITING}) === 1) {
    Atomics.add(ctrl, ${MAIN_EVENT}, 1);
    Atomics.notify(ctrl, ${MAIN_EVENT});
  }
}
parentPort.postMessage(hash.digest('hex'));
`;

/**
 * Cores a machine needs before the hash gets its own thread. A transfer keeps the producer (the
 * tool or tar), our process and the consumer busy at once: on two cores the thread only competes
 * with them and adds a copy, wake-ups and ~8 MiB of RSS (`npm run bench` e2e, 2 cores: in line was
 * faster, ~10% less CPU). With cores to spare it takes the hash off the event loop.
 */
const HASH_THREAD_MIN_CORES = 4;

function threadPaysOff(): boolean {
  return availableParallelism() >= HASH_THREAD_MIN_CORES;
}

/**
 * Incremental SHA-256 (hex digest), on a worker thread when the caller expects a large stream
 * (`expectLarge`: a hash cannot move to a thread half way, and for a short stream a thread costs
 * more than it saves) and the machine has the cores for it (`forceThread`: always, for tests),
 * otherwise in line.
 */
export class StreamSha256 {
  private readonly inline: Hash | undefined;
  private readonly worker: Worker | undefined;
  private readonly ctrl: Int32Array = new Int32Array(0);
  private readonly ring: Uint8Array = new Uint8Array(0);
  private readonly result: Promise<string> | undefined;
  private failure: Error | undefined;
  private written = 0;
  private pos = 0;
  private done = false;

  constructor(expectLarge: boolean, opts: { forceThread?: boolean } = {}) {
    if (!expectLarge || !(opts.forceThread === true || threadPaysOff())) {
      this.inline = createHash('sha256');
      return;
    }
    const ctrlBuf = new SharedArrayBuffer(CTRL_WORDS * 4);
    const ringBuf = new SharedArrayBuffer(RING);
    this.ctrl = new Int32Array(ctrlBuf);
    this.ring = new Uint8Array(ringBuf);
    // stdout/stderr: true keeps anything the worker might print off ours (under xinetd the client's socket).
    const worker = new Worker(WORKER_SOURCE, {
      eval: true,
      workerData: { ctrl: ctrlBuf, ring: ringBuf },
      stdout: true,
      stderr: true,
      // It allocates next to nothing: a small heap keeps its RSS small.
      resourceLimits: { maxYoungGenerationSizeMb: 1, maxOldGenerationSizeMb: 16, codeRangeSizeMb: 4 },
    });
    worker.unref(); // an abandoned stream must not keep the process alive
    this.worker = worker;
    this.result = new Promise<string>((resolve, reject) => {
      worker.once('message', (hex: string) => resolve(hex));
      worker.once('error', (err) => {
        this.failure = err;
        reject(err);
      });
      worker.once('exit', (code) => {
        const err = new Error(`the hashing thread exited (${code}) before its digest`);
        this.failure ??= err;
        reject(err);
      });
    });
    this.result.catch(() => undefined); // reported by digest()
  }

  update(data: Uint8Array): void {
    if (this.done) throw new Error('StreamSha256: update after digest');
    if (this.inline) {
      this.inline.update(data);
      return;
    }
    for (let off = 0; off < data.length; ) {
      if (this.failure) throw this.failure;
      const read = Atomics.load(this.ctrl, READ);
      const free = RING - ((this.written - read) | 0);
      if (free === 0) {
        this.waitForRoom(read);
        continue;
      }
      const n = Math.min(free, data.length - off, RING - this.pos);
      this.ring.set(data.subarray(off, off + n), this.pos);
      this.pos = (this.pos + n) % RING;
      this.written = (this.written + n) | 0;
      off += n;
      Atomics.store(this.ctrl, WRITTEN, this.written);
      this.wakeWorker();
    }
  }

  // A whole ring ahead: sleep (in slices, so a dead worker is noticed) until it reads on.
  private waitForRoom(read: number): void {
    const event = Atomics.load(this.ctrl, MAIN_EVENT);
    Atomics.store(this.ctrl, MAIN_WAITING, 1);
    if (Atomics.load(this.ctrl, READ) === read) Atomics.wait(this.ctrl, MAIN_EVENT, event, 100);
    Atomics.store(this.ctrl, MAIN_WAITING, 0);
  }

  private wakeWorker(): void {
    if (Atomics.load(this.ctrl, WORKER_WAITING) === 0) return;
    Atomics.add(this.ctrl, WORKER_EVENT, 1);
    Atomics.notify(this.ctrl, WORKER_EVENT);
  }

  /** The hex digest of everything given to update(); ends the hash (and its thread). */
  async digest(): Promise<string> {
    if (this.done) throw new Error('StreamSha256: digest called twice');
    this.done = true;
    if (this.inline) return this.inline.digest('hex');
    Atomics.store(this.ctrl, DONE, 1);
    Atomics.add(this.ctrl, WORKER_EVENT, 1);
    Atomics.notify(this.ctrl, WORKER_EVENT);
    try {
      return await (this.result as Promise<string>);
    } finally {
      void this.worker?.terminate();
    }
  }

  /** Stops the thread of a hash that will not be finished (a failed stream). */
  dispose(): void {
    if (this.done) return;
    this.done = true;
    void this.worker?.terminate();
  }
}
