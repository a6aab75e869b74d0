// Writes a chunk's payload into its (staging) file piece by piece as it arrives, instead of
// holding the whole chunk until its checksum is known: pieces are gathered into batches of
// BATCH_BYTES, one batch written while the next fills, so at most two batches (plus the
// piece being placed) are held, and a slow disk holds the reading up.
import type { FileHandle } from 'node:fs/promises';

/**
 * Bytes gathered before a write is issued; two of these are the most held at once (1 MiB: the
 * extractor's memory bound). Each write is a thread-pool round trip (a futex wake, an eventfd,
 * a promise): 512 KiB instead of 256 KiB cut the CPU of extracting from 64 KiB pieces ~10%.
 */
const BATCH_BYTES = 512 * 1024;

// pwritev takes at most IOV_MAX (1024 on Linux) buffers at a time.
const MAX_IOV = 1024;

/** A range of the file the payload fills, in payload order. */
export interface Segment {
  at: number;
  len: number;
}

// The buffers of `pieces` past their first `n` bytes.
function skipBytes(pieces: Buffer[], n: number): Buffer[] {
  let i = 0;
  while (i < pieces.length && n >= (pieces[i] as Buffer).length) n -= (pieces[i++] as Buffer).length;
  const rest = pieces.slice(i);
  if (n > 0 && rest.length > 0) rest[0] = (rest[0] as Buffer).subarray(n);
  return rest;
}

/** Writes all of `pieces` at `position`, with as few pwritev calls as the kernel allows. */
async function writeAt(fh: FileHandle, pieces: Buffer[], position: number): Promise<void> {
  let left = pieces;
  let at = position;
  while (left.length > 0) {
    const batch = left.length > MAX_IOV ? left.slice(0, MAX_IOV) : left;
    const { bytesWritten } = await fh.writev(batch, at);
    if (bytesWritten <= 0) throw new Error(`xbstream: write at offset ${at} made no progress`);
    at += bytesWritten;
    left = skipBytes(left, bytesWritten);
  }
}

export class PieceWriter {
  private batch: Buffer[] = [];
  private batchBytes = 0;
  private batchAt = 0;
  private writing: Promise<void> = Promise.resolve();
  private seg = 0;
  private segDone = 0;

  /** `segments`: where the chunk's payload goes, in order (one for a P chunk). */
  constructor(private readonly fh: FileHandle, private readonly segments: readonly Segment[]) {}

  /**
   * Places the next piece of the payload. Returns a promise only when a batch has to be started
   * first (once per BATCH_BYTES): the caller may hand another piece at once when it returns
   * nothing, so the usual piece costs no promise.
   */
  add(piece: Buffer): void | Promise<void> {
    while (piece.length > 0) {
      const s = this.segments[this.seg];
      if (s === undefined) throw new Error('xbstream: more payload than the chunk maps');
      const n = Math.min(piece.length, s.len - this.segDone);
      const at = s.at + this.segDone;
      if (this.batchBytes > 0 && at !== this.batchAt + this.batchBytes) return this.flushThenAdd(piece);
      if (this.batchBytes === 0) this.batchAt = at;
      this.batch.push(n === piece.length ? piece : piece.subarray(0, n));
      this.batchBytes += n;
      this.segDone += n;
      if (this.segDone === s.len) {
        this.seg++;
        this.segDone = 0;
      }
      piece = piece.subarray(n);
      if (this.batchBytes >= BATCH_BYTES || this.batch.length >= MAX_IOV) return piece.length > 0 ? this.flushThenAdd(piece) : this.flush();
    }
  }

  // The slow path of add(): a batch to start before the rest of `piece` can be placed.
  private async flushThenAdd(piece: Buffer): Promise<void> {
    await this.flush();
    await this.add(piece);
  }

  /** Writes what is gathered; resolves when every write is done. */
  async finish(): Promise<void> {
    await this.flush();
    await this.writing;
  }

  /** Waits for the write in flight (if any) to finish, then starts the gathered batch. */
  private async flush(): Promise<void> {
    await this.writing;
    if (this.batchBytes === 0) return;
    const op = writeAt(this.fh, this.batch, this.batchAt);
    op.catch(() => undefined); // its error is reported where it is awaited
    this.writing = op;
    this.batch = [];
    this.batchBytes = 0;
  }

  /** Waits for the write in flight without reporting its error (cleaning up after a failure). */
  async abandon(): Promise<void> {
    this.batch = [];
    this.batchBytes = 0;
    await this.writing.catch(() => undefined);
  }
}
