import { IntegrityError } from '../errors.js';

// Walks a tar stream's headers as it passes (without buffering it) to tell a whole archive from
// one cut between two members. `tar -x -i` (needed for innobackupex streams, which hold blocks
// of zeros) cannot tell: it takes end of input anywhere between members as a normal end. A whole
// archive ends, at a header position, in zero blocks (two, plus the record's zero padding).

const BLOCK = 512;

/** The size field of a header: octal text, or GNU base-256 for large files. */
function entrySize(h: Buffer): number {
  const field = h.subarray(124, 136);
  if ((field[0] ?? 0) & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Whether the header's checksum field matches its bytes (the field itself counted as spaces). */
function checksumOk(h: Buffer): boolean {
  const stored = parseInt(h.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return stored === sum;
}

function isZero(b: Buffer): boolean {
  for (const byte of b) if (byte !== 0) return false;
  return true;
}

export class TarEndCheck {
  private readonly block = Buffer.alloc(BLOCK);
  private filled = 0;
  /** Bytes of member data (and padding) still to pass before the next header. */
  private skip = 0;
  /** Extension blocks of an old-GNU sparse header still to come. */
  private sparseExt = false;
  private zeroHeaders = 0;
  private total = 0;

  push(chunk: Buffer): void {
    this.total += chunk.length;
    let o = 0;
    while (o < chunk.length) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, chunk.length - o);
        this.skip -= n;
        o += n;
        continue;
      }
      const n = Math.min(BLOCK - this.filled, chunk.length - o);
      chunk.copy(this.block, this.filled, o, o + n);
      this.filled += n;
      o += n;
      if (this.filled === BLOCK) {
        this.filled = 0;
        this.header(this.block);
      }
    }
  }

  private header(h: Buffer): void {
    if (this.sparseExt) {
      this.sparseExt = h[504] !== 0;
      return;
    }
    if (isZero(h)) {
      this.zeroHeaders++;
      return;
    }
    this.zeroHeaders = 0;
    const size = entrySize(h);
    if (!checksumOk(h) || !Number.isSafeInteger(size) || size < 0) {
      throw new IntegrityError(
        `the stream holds a block that is not a tar header after ${this.total} bytes: it is not a whole backup ` +
          '(a server marks a failed 1.8b5 stream this way: see its log)',
      );
    }
    const type = String.fromCharCode(h[156] ?? 0);
    // Links, directories and devices carry no data whatever their size field says.
    const hasData = !['1', '2', '3', '4', '5', '6'].includes(type);
    this.skip = hasData ? Math.ceil(size / BLOCK) * BLOCK : 0;
    if (type === 'S' && h[482] !== 0) this.sparseExt = true;
  }

  /** Throws unless the stream ended as a whole archive does. */
  finish(): void {
    if (this.total === 0) return; // "empty" is the caller's verdict, with its own message
    if (this.skip > 0 || this.filled > 0 || this.sparseExt) {
      throw new IntegrityError(`the tar stream was cut inside a member (after ${this.total} bytes)`);
    }
    if (this.zeroHeaders < 2) {
      throw new IntegrityError(
        `the tar stream ended without tar's end-of-archive blocks (after ${this.total} bytes): it was cut between two members, so files are missing`,
      );
    }
  }
}

/** Passes `source` through unchanged, and fails at its end unless it was a whole tar archive. */
export async function* requireTarEnd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const check = new TarEndCheck();
  for await (const chunk of source) {
    check.push(chunk);
    yield chunk;
  }
  check.finish();
}
