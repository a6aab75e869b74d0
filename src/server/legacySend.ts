import { once } from 'node:events';
import { createWriteStream, type WriteStream } from 'node:fs';
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import { endWritable, waitForDrain, writeAll } from '../protocol/io.js';
import { formatStatusBlock } from '../protocol/statusBlock.js';
import { LEGACY_CHUNK, LegacySender, legacyFailureFrame, LEGACY_FAILURE_BYTES } from '../protocol/legacyFrames.js';
import { TarWalker } from '../tar/walker.js';
import type { Session } from './context.js';
import type { ProducerStatus } from './dataSender.js';
import { StallGuard, pumpToClient } from './stall.js';
import { makeScratchDir } from '../backupTool/scratch.js';

// A 1.8b5 client cannot hear a status: whatever it receives it extracts, and it ends with exit 0
// (or tar's exit status) however the server fared. GNU tar exits 0 on a stream cut at a member
// boundary or inside a header block, and fails only on one cut inside a member's data. So the
// stream goes out as it comes, but only ever up to a point inside a file's data (src/tar/walker.ts,
// at the 10240-byte chunks the frames carry): a producer that fails, or a server that dies between
// two writes, leaves the client a stream tar refuses, never a shorter archive it calls whole. The
// rest goes out once the producer has succeeded; a failure is sent as an invalid stream.
// What waits for the next such point is held in memory, HOLD_LIMIT at most (a long run of
// directories or empty files has none); past that, the rest of the stream is spooled in
// [backup] tmp_dir and sent once the producer has succeeded.
// A backup tool's own output is spooled whole from its first byte (`stage`): an old client that
// ignores its tar's exit status then finds nothing of a failed backup, not part of one.

/** What may wait in memory for the next safe cut before the rest of the stream is spooled. */
const HOLD_LIMIT = 4 * 1024 * 1024;

/** What the spool file takes before it holds the producer back. */
const SPOOL_BUFFER = 1024 * 1024;

/** How much of a spooled stream is read (and framed, and written) at a time. */
const STAGED_READ = 256 * 1024;

/**
 * The spooled stream, read into one buffer over and over: LegacySender.send() has framed (or
 * copied) each piece before the next is asked for, so no piece is kept and none becomes garbage.
 */
async function* readStaged(file: string): AsyncGenerator<Buffer> {
  const fh = await open(file, 'r');
  try {
    const buf = Buffer.allocUnsafe(STAGED_READ);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) return;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await fh.close();
  }
}

/**
 * The file the rest of a stream goes to (a backup tool's output, or what came after too much had
 * waited for a safe cut). Written as a socket is: up to SPOOL_BUFFER taken at once, so reading
 * the producer's pipe and writing the disk overlap, with no promise per piece.
 */
class Spool {
  private error: unknown;

  private constructor(readonly file: string, private readonly out: WriteStream) {
    out.on('error', (err) => {
      this.error ??= err;
    });
  }

  static async open(dir: string): Promise<Spool> {
    const file = join(dir, 'stream');
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600, highWaterMark: SPOOL_BUFFER });
    await once(out, 'open');
    return new Spool(file, out);
  }

  /** As pumpToClient's send: true while the file's buffer has room, else a promise for 'drain'. */
  write(chunk: Buffer): true | Promise<void> {
    if (this.error === undefined && this.out.write(chunk)) return true;
    return this.settled(waitForDrain(this.out));
  }

  /** Flushes and closes the file. */
  end(): Promise<void> {
    return this.settled(endWritable(this.out));
  }

  destroy(): void {
    this.out.destroy();
  }

  // `work`, failing with what went wrong with the file (an 'error' between two writes included).
  private async settled(work: Promise<void>): Promise<void> {
    try {
      await work;
    } catch (err) {
      this.error ??= err;
    }
    if (this.error !== undefined) throw new Error(`staging the stream in ${this.file} failed: ${errorMessage(this.error)}`, { cause: this.error });
  }
}

/** The producer's bytes on their way to a 1.8b5 client, held back from each unsafe cut. */
class HeldStream {
  private readonly walker = new TarWalker({ granularity: LEGACY_CHUNK });
  private held: Buffer[] = [];
  private heldBytes = 0;
  /** Stream bytes handed to the sender: always 0 or a safe cut, until the producer succeeded. */
  private sent = 0;
  private walkable = true;
  private spool: Spool | undefined;

  constructor(
    private readonly s: Session,
    private readonly sender: LegacySender,
    private readonly limit: number,
    private readonly stageAll: boolean,
    private readonly openSpool: () => Promise<Spool>,
  ) {}

  /** Takes the producer's next piece (pumpToClient's send): sends what may go, holds the rest. */
  take(chunk: Buffer): boolean | Promise<void> {
    if (this.spool) return this.spool.write(chunk);
    this.held.push(chunk);
    this.heldBytes += chunk.length;
    if (this.stageAll) return this.startSpool();
    if (this.walkable) {
      try {
        this.walker.push(chunk);
      } catch (err) {
        // Not tar as we know it: no more cuts are known to be safe; the rest waits for success.
        this.walkable = false;
        this.s.deps.logger.warn(`1.8b5: the rest of the stream is held until the producer has succeeded: ${errorMessage(err)}`);
      }
    }
    const room = this.walker.lastSafeCut > this.sent ? this.release(this.walker.lastSafeCut - this.sent) : true;
    return this.heldBytes > this.limit ? this.startSpool() : room;
  }

  // Hands the first n held bytes to the sender; what it says about the socket's room.
  private release(n: number): boolean {
    let room = true;
    this.sent += n;
    this.heldBytes -= n;
    while (n > 0) {
      const first = this.held[0] as Buffer;
      if (first.length <= n) {
        room = this.sender.send(first);
        this.held.shift();
        n -= first.length;
      } else {
        room = this.sender.send(first.subarray(0, n));
        this.held[0] = first.subarray(n);
        n = 0;
      }
    }
    return room;
  }

  private async startSpool(): Promise<void> {
    this.spool = await this.openSpool();
    if (!this.stageAll) this.s.deps.logger.info(`1.8b5: ${this.heldBytes} bytes came without a point where a cut would fail tar; the rest of the stream is staged until the producer has succeeded`);
    const held = this.held;
    this.held = [];
    this.heldBytes = 0;
    for (const piece of held) {
      const room = this.spool.write(piece);
      if (room !== true) await room;
    }
  }

  /** The producer succeeded: sends everything held back (and spooled), and the last frame. */
  async finish(): Promise<void> {
    const guard = new StallGuard(this.s.deps.config.server.stallTimeout, () => this.s.output.destroy());
    try {
      const drained = (room: boolean): Promise<void> | undefined => (room ? undefined : guard.wait(waitForDrain(this.s.output)));
      await drained(this.release(this.heldBytes));
      if (this.spool) {
        await this.spool.end();
        for await (const piece of readStaged(this.spool.file)) await drained(this.sender.send(piece));
      }
      await guard.wait(this.sender.end());
    } finally {
      guard.dispose();
    }
  }

  /** What tar still expects of the member the client's stream now ends in, if it ends inside one. */
  get leftInMember(): number {
    return this.sent > 0 && this.sent === this.walker.lastSafeCut ? this.walker.lastSafeRegionEnd - this.sent : 0;
  }

  close(): void {
    this.spool?.destroy();
  }
}

export interface LegacySendOptions {
  /** Spool the whole stream before its first byte goes out (a backup tool's output). */
  stage?: boolean;
  /** Bytes that may wait in memory for a safe cut (tests); default HOLD_LIMIT. */
  holdLimit?: number;
}

/**
 * Sends a producer's tar stream to a 1.8b5 client as it comes, never ending it where tar would
 * take it for whole (see above), or all of it once the producer has succeeded (`stage`), and
 * checks `finish` before the rest goes out; on any failure, stops the producer and makes the
 * stream invalid for the client.
 */
export async function sendLegacy(
  s: Session,
  source: AsyncIterable<Buffer>,
  finish: () => Promise<ProducerStatus>,
  abort: () => void,
  opts: LegacySendOptions = {},
): Promise<ProducerStatus> {
  let scratch: string | undefined;
  const held = new HeldStream(s, new LegacySender(s.output), opts.holdLimit ?? HOLD_LIMIT, opts.stage === true, async () => {
    scratch = await makeScratchDir(s.deps.config.backup.tmpDir, 'legacy');
    return Spool.open(scratch);
  });
  try {
    let status: ProducerStatus;
    try {
      await pumpToClient(s, source, (chunk) => held.take(chunk));
      status = await finish();
    } catch (err) {
      status = await stopProducer(`sending failed: ${errorMessage(err)}`, abort, finish);
    }
    if (status.ok) {
      try {
        await held.finish();
      } catch (err) {
        status = { ...status, ok: false, message: `sending failed: ${errorMessage(err)}` };
      }
    }
    if (!status.ok) await poisonLegacy(s, status.message, held.leftInMember);
    return status;
  } finally {
    held.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/** Stops the producer after `why` went wrong on our side: the status, with its own failure too. */
async function stopProducer(why: string, abort: () => void, finish: () => Promise<ProducerStatus>): Promise<ProducerStatus> {
  abort();
  const produced = await finish().catch(() => undefined);
  const message = produced && !produced.ok ? `${produced.message}; ${why}` : why;
  return { ok: false, exitCode: produced?.exitCode ?? null, message };
}

/**
 * A 1.8b5 stream that failed on our side before its data went out: stops the producer, then
 * makes the stream invalid for the old client, which must still see a failure.
 */
export async function failedLegacy(s: Session, err: unknown, abort: () => void, finish: () => Promise<ProducerStatus>): Promise<ProducerStatus> {
  const status = await stopProducer(errorMessage(err), abort, finish);
  await poisonLegacy(s, status.message);
  return status;
}

/**
 * Makes the stream invalid for any 1.8b5 receiver (best effort: the client may be gone). After a
 * cut inside a member that still expects `leftInMember` bytes, the failure frame's text is taken
 * as that member's data: were it exactly that long, tar would find the archive ending at a member
 * boundary, so then it goes twice.
 */
export async function poisonLegacy(s: Session, why: string, leftInMember = 0): Promise<void> {
  s.deps.logger.error(`1.8b5 stream marked invalid for the client: ${why}`);
  const frame = legacyFailureFrame();
  await writeAll(s.output, leftInMember === LEGACY_FAILURE_BYTES ? [frame, frame] : frame).catch(() => undefined);
}

/**
 * A 1.8b5 upload (`copy to`) that could not be stored. 1.8b5 has no reply here: an old client
 * sends and hangs up without reading, so it cannot be told. Our own client in 1.8b5 mode reads
 * until we hang up, and takes any text (this status block) as the failure it is.
 */
export async function tellLegacyUploadFailed(s: Session, message: string): Promise<void> {
  if (s.protocol === 'legacy') await writeAll(s.output, formatStatusBlock(false, [message])).catch(() => undefined);
}
