import { IntegrityError } from '../errors.js';
import { TAR_BLOCK, checksumOk, entrySize, entryType, isZeroBlock } from './header.js';

// Walks a tar stream's blocks as it passes (without buffering it): where each member's data
// lies, and so which cuts of the stream `tar -x` would notice. GNU tar (checked against every
// cut of a sample archive, test/unit/tar/walker.test.ts) exits 0 on a stream cut at a member
// boundary or inside a header block, and fails only on one cut inside a member's data.

const REGULAR = new Set(['0', '\0', '7']);
// Links, directories and devices carry no data whatever their size field says.
const NO_DATA = new Set(['1', '2', '3', '4', '5', '6']);

export interface TarWalkerOptions {
  /** Report only safe cuts at multiples of this (a sender that cuts its stream in chunks). */
  granularity?: number;
}

export class TarWalker {
  private readonly block = Buffer.alloc(TAR_BLOCK);
  private readonly granularity: number;
  private filled = 0;
  /** Bytes of member data (and padding) still to pass before the next header. */
  private skip = 0;
  /** Extension blocks of an old-GNU sparse header still to come. */
  private sparseExt = false;
  /** Where the data of the member now passing starts, and whether a cut inside it fails tar -x. */
  private regionStart = 0;
  private cuttable = false;
  /** Bytes walked. */
  position = 0;
  /** Zero blocks in a row at header positions (two end an archive). */
  zeroHeaders = 0;
  /** The last offset (of those at the granularity) at which a cut stream fails `tar -x`, or -1. */
  lastSafeCut = -1;
  /** The end of the data region lastSafeCut lies in: what tar still expects after that cut. */
  lastSafeRegionEnd = -1;

  constructor(opts: TarWalkerOptions = {}) {
    this.granularity = opts.granularity ?? 1;
  }

  /** Whether the stream so far ends where a whole archive may end (at a header position). */
  get atHeader(): boolean {
    return this.skip === 0 && this.filled === 0 && !this.sparseExt;
  }

  /** Walks `chunk`; throws IntegrityError at a block that is not a tar header. */
  push(chunk: Buffer): void {
    let o = 0;
    while (o < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - o);
        this.skip -= n;
        o += n;
        this.position += n;
        if (this.cuttable) this.noteCut();
        continue;
      }
      const n = Math.min(TAR_BLOCK - this.filled, chunk.length - o);
      chunk.copy(this.block, this.filled, o, o + n);
      this.filled += n;
      o += n;
      this.position += n;
      if (this.filled === TAR_BLOCK) {
        this.filled = 0;
        this.header(this.block);
      }
    }
  }

  // Inside a regular file's data: the last cut at the granularity that leaves some of it unsent.
  private noteCut(): void {
    const regionEnd = this.position + this.skip;
    const last = Math.min(this.position, regionEnd - 1);
    const cut = last - (last % this.granularity);
    if (cut > this.regionStart && cut > this.lastSafeCut) {
      this.lastSafeCut = cut;
      this.lastSafeRegionEnd = regionEnd;
    }
  }

  private header(h: Buffer): void {
    this.cuttable = false;
    if (this.sparseExt) {
      this.sparseExt = h[504] !== 0;
      return;
    }
    if (isZeroBlock(h)) {
      this.zeroHeaders++;
      return;
    }
    this.zeroHeaders = 0;
    const size = entrySize(h);
    if (!checksumOk(h) || !Number.isSafeInteger(size) || size < 0) {
      throw new IntegrityError(
        `the stream holds a block that is not a tar header after ${this.position} bytes: it is not a whole backup ` +
          '(a server marks a failed 1.8b5 stream this way: see its log)',
      );
    }
    const type = entryType(h);
    this.skip = NO_DATA.has(type) ? 0 : Math.ceil(size / TAR_BLOCK) * TAR_BLOCK;
    this.regionStart = this.position;
    this.cuttable = REGULAR.has(type) && size > 0;
    if (type === 'S' && h[482] !== 0) this.sparseExt = true;
  }
}
