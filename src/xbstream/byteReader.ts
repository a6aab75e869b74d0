// Pulls exact byte counts out of an async sequence of arbitrarily cut buffers. It only asks
// the source for more when a caller needs more, so what it holds is bounded by the largest
// single request plus one source piece. What it hands out are views of the source's pieces
// where it can: the source must not reuse its buffers (Node's streams never do).

export class ByteReader {
  private readonly it: AsyncIterator<Buffer | Uint8Array>;
  private pieces: Buffer[] = [];
  private head = 0; // index of the first unread piece
  private headOffset = 0; // bytes already read from pieces[head]
  private buffered = 0;
  private ended = false;
  /** Bytes handed out so far: the stream offset of the next byte. */
  position = 0;

  constructor(source: AsyncIterable<Buffer | Uint8Array>) {
    this.it = source[Symbol.asyncIterator]();
  }

  get available(): number {
    return this.buffered;
  }

  /** Waits until `n` bytes are buffered; false if the input ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (this.ended) return false;
      const r = await this.it.next();
      if (r.done) {
        this.ended = true;
        return false;
      }
      const value: unknown = r.value;
      if (typeof value === 'string') throw new TypeError('xbstream source must yield bytes, not strings');
      const piece = Buffer.isBuffer(value) ? value : Buffer.from(value as Uint8Array);
      if (piece.length === 0) continue;
      this.pieces.push(piece);
      this.buffered += piece.length;
    }
    return true;
  }

  /** Removes and returns `n` buffered bytes (call ensure(n) first). */
  take(n: number): Buffer {
    if (n > this.buffered) throw new RangeError(`take(${n}) with only ${this.buffered} bytes buffered`);
    this.buffered -= n;
    this.position += n;
    const first = this.pieces[this.head];
    if (n === 0 || first === undefined) return Buffer.alloc(0);
    if (first.length - this.headOffset >= n) {
      const out = first.subarray(this.headOffset, this.headOffset + n);
      this.advance(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const piece = this.pieces[this.head] as Buffer;
      const len = Math.min(piece.length - this.headOffset, n - filled);
      piece.copy(out, filled, this.headOffset, this.headOffset + len);
      filled += len;
      this.advance(len);
    }
    return out;
  }

  /** Removes and returns up to `max` buffered bytes from one source piece, without copying. */
  takeSome(max: number): Buffer {
    const first = this.pieces[this.head];
    if (first === undefined || max <= 0) return Buffer.alloc(0);
    return this.take(Math.min(max, first.length - this.headOffset));
  }

  /** Tells the source we are done (e.g. closes a file stream when a caller stops early). */
  async close(): Promise<void> {
    this.pieces = [];
    this.buffered = 0;
    if (!this.ended) {
      this.ended = true;
      await this.it.return?.();
    }
  }

  private advance(len: number): void {
    this.headOffset += len;
    const piece = this.pieces[this.head];
    if (piece !== undefined && this.headOffset === piece.length) {
      this.pieces[this.head] = EMPTY; // let it be collected
      this.head++;
      this.headOffset = 0;
      if (this.head > 64 && this.head * 2 > this.pieces.length) {
        this.pieces = this.pieces.slice(this.head);
        this.head = 0;
      }
    }
  }
}

const EMPTY = Buffer.alloc(0);
