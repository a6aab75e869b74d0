// The one buffered reader over a byte source (a socket, process.stdin, a PassThrough, a file
// stream, an async generator): lines, exact byte counts, pieces as they came, then the rest as a
// stream. Chunks are kept in a queue and sliced, never concatenated as they arrive, so reading a
// multi-GB stream costs one copy at most. An async iterable is asked for more only when a caller
// needs more, so what it holds is bounded by the largest single request plus one source piece; a
// Readable may also run up to PUSH_AHEAD bytes ahead of the caller before it is paused. What it
// hands out are views of the source's pieces where it can: the source must not reuse its buffers
// (Node's streams never do). The wire protocols and the xbstream parser both read through it.
import { Readable } from 'node:stream';
import { ExitError, ProtocolError, errorMessage } from '../errors.js';

const NEWLINE = 0x0a;

/** How far a Readable source may run ahead of the reader before it is paused. */
const PUSH_AHEAD = 1024 * 1024;

// The state of reading a Readable through its events (see fillFromReadable).
interface Feed {
  /** Called when something arrived, ended or failed while fill() waits. */
  wake: (() => void) | undefined;
  /** The source's own failure. */
  error: unknown;
  /** What we refused to take (a string with bytesOnly): passed on unwrapped. */
  refused: unknown;
  ended: boolean;
  detach: () => void;
}

export interface StreamReaderOptions {
  /**
   * A failed read of the source becomes a ProtocolError ("read failed: ..."), as a broken
   * connection should; default true. False passes the source's own error on unchanged.
   */
  wrapReadErrors?: boolean;
  /** Refuse string pieces (a source with an encoding set) instead of taking their UTF-8. */
  bytesOnly?: boolean;
}

export class StreamReader {
  private readonly source: AsyncIterable<unknown>;
  private readonly opts: StreamReaderOptions;
  private iterator: AsyncIterator<unknown> | undefined;
  private chunks: Buffer[] = [];
  private head = 0; // index of the first live chunk in `chunks`
  private offset = 0; // bytes of chunks[head] already consumed
  private buffered = 0; // bytes not yet consumed
  // Where the search for '\n' resumes: the buffered bytes before it are known to hold none.
  private scanChunk = 0;
  private scanPos = 0;
  private scanned = 0;
  private eof = false;
  private feed: Feed | undefined;
  /** Bytes handed out so far: the stream offset of the next byte. */
  position = 0;

  constructor(source: AsyncIterable<unknown>, opts: StreamReaderOptions = {}) {
    this.source = source;
    this.opts = opts;
  }

  /** Bytes received but not yet read. */
  get bufferedLength(): number {
    return this.buffered;
  }

  /** Same as bufferedLength. */
  get available(): number {
    return this.buffered;
  }

  /** Waits until `n` bytes are buffered; false if the input ends first. */
  async ensure(n: number): Promise<boolean> {
    while (this.buffered < n) {
      if (!(await this.fill())) return false;
    }
    return true;
  }

  /** Removes and returns `n` buffered bytes (call ensure(n) first). */
  take(n: number): Buffer {
    if (n > this.buffered) throw new RangeError(`take(${n}) with only ${this.buffered} bytes buffered`);
    if (n === 0) return Buffer.alloc(0);
    return this.takeBuffered(n);
  }

  /** Removes and returns up to `max` buffered bytes from one source piece, without copying. */
  takeSome(max: number): Buffer {
    if (this.buffered === 0 || max <= 0) return Buffer.alloc(0);
    const first = this.chunks[this.head] as Buffer;
    return this.takeBuffered(Math.min(max, first.length - this.offset));
  }

  /** Copies up to `max` buffered bytes into target at `at`, without consuming them; returns how many. */
  copyBuffered(target: Uint8Array, at: number, max: number): number {
    let o = 0;
    for (let i = this.head, from = this.offset; i < this.chunks.length && o < max; i++, from = 0) {
      const chunk = this.chunks[i] as Buffer;
      o += chunk.copy(target, at + o, from, Math.min(chunk.length, from + max - o));
    }
    return o;
  }

  /** Consumes `n` buffered bytes without handing them out (a copyBuffered() reader's step). */
  skip(n: number): void {
    if (n > this.buffered) throw new RangeError(`skip(${n}) with only ${this.buffered} bytes buffered`);
    this.position += n;
    while (n > 0) {
      const piece = Math.min(n, (this.chunks[this.head] as Buffer).length - this.offset);
      this.advance(piece);
      n -= piece;
    }
  }

  /** Drops what is buffered and tells the source we are done (closes a file stream, say). */
  async close(): Promise<void> {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.buffered = 0;
    this.scanned = 0;
    if (!this.eof) {
      this.eof = true;
      this.feed?.detach();
      await this.iterator?.return?.();
    }
  }

  /**
   * The next line without its '\n' (a '\r' before it is kept: lines are exact), decoded as UTF-8.
   * null on EOF before the first byte of a line; ProtocolError on EOF mid-line or a line longer
   * than maxLength bytes.
   */
  async readLine(maxLength = 65536): Promise<string | null> {
    for (;;) {
      const at = this.findNewline();
      if (at >= 0) {
        if (at > maxLength) throw new ProtocolError(`line longer than ${maxLength} bytes`);
        const line = this.takeBuffered(at + 1);
        return line.toString('utf8', 0, at);
      }
      if (this.buffered > maxLength) throw new ProtocolError(`line longer than ${maxLength} bytes`);
      if (!(await this.fill())) {
        if (this.buffered === 0) return null;
        throw new ProtocolError(`connection closed in the middle of a line (${this.buffered} bytes without '\\n')`);
      }
    }
  }

  /** Exactly n bytes; null on EOF before the first one, ProtocolError on EOF part way. */
  async readExact(n: number): Promise<Buffer | null> {
    if (n === 0) return Buffer.alloc(0);
    while (this.buffered < n) {
      if (!(await this.fill())) {
        if (this.buffered === 0) return null;
        throw new ProtocolError(`connection closed after ${this.buffered} of ${n} expected bytes`);
      }
    }
    return this.takeBuffered(n);
  }

  /**
   * Between 1 and max bytes (max >= 1), as they arrived: no copy, never more than one received
   * piece. Waits only when nothing is buffered; null on EOF.
   */
  async readSome(max: number): Promise<Buffer | null> {
    while (this.buffered === 0) {
      if (!(await this.fill())) return null;
    }
    const first = this.chunks[this.head] as Buffer;
    return this.takeBuffered(Math.min(max, first.length - this.offset));
  }

  /** The next n bytes if they are already buffered, without consuming them; otherwise null. */
  peek(n: number): Buffer | null {
    if (this.buffered < n) return null;
    if (n === 0) return Buffer.alloc(0);
    const first = this.chunks[this.head] as Buffer;
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    const out = Buffer.allocUnsafe(n);
    let o = 0;
    for (let i = this.head, from = this.offset; o < n; i++, from = 0) {
      const chunk = this.chunks[i] as Buffer;
      o += chunk.copy(out, o, from, Math.min(chunk.length, from + n - o));
    }
    return out;
  }

  /** What is already buffered, then everything else until EOF. */
  async *rest(): AsyncGenerator<Buffer> {
    while (this.buffered > 0) {
      const first = this.chunks[this.head] as Buffer;
      yield this.takeBuffered(first.length - this.offset);
    }
    while (await this.fill()) {
      const chunk = this.takeBuffered(this.buffered);
      if (chunk.length > 0) yield chunk;
    }
  }

  // Waits for at least one more chunk in the queue; false at EOF.
  private async fill(): Promise<boolean> {
    if (this.eof) return false;
    if (this.source instanceof Readable) return this.fillFromReadable(this.source);
    this.iterator ??= this.source[Symbol.asyncIterator]();
    let result: IteratorResult<unknown>;
    try {
      result = await this.iterator.next();
    } catch (err) {
      this.eof = true;
      throw this.readError(err);
    }
    if (result.done) {
      this.eof = true;
      return false;
    }
    this.push(result.value);
    return true;
  }

  private readError(err: unknown): unknown {
    if (err instanceof ExitError || this.opts.wrapReadErrors === false) return err;
    return new ProtocolError(`read failed: ${errorMessage(err)}`, { cause: err });
  }

  private push(value: unknown): void {
    if (typeof value === 'string' && this.opts.bytesOnly) throw new TypeError('the source must yield bytes, not strings');
    const chunk = Buffer.isBuffer(value) ? value
      : value instanceof Uint8Array ? Buffer.from(value.buffer, value.byteOffset, value.byteLength)
      : Buffer.from(value as string);
    if (chunk.length > 0) {
      this.chunks.push(chunk);
      this.buffered += chunk.length;
    }
  }

  /**
   * A Readable (a socket, a child's stdout) is read through its 'data' events, not an async
   * iterator: a promise and an iterator step per 64 KiB cost about as much as the bytes' copy.
   * It flows while fewer than PUSH_AHEAD bytes wait here and is paused otherwise, so a slow
   * reader still holds the sender back. Not destroyed at EOF or on close(): a socket half-closed
   * by the peer must stay writable, so the server can still answer a 1.8b5 upload read to its end.
   */
  private fillFromReadable(source: Readable): Promise<boolean> {
    let feed = this.feed;
    if (feed === undefined) {
      feed = this.feed = { wake: undefined, error: undefined, refused: undefined, ended: false, detach: () => undefined };
      const f = feed;
      const wake = (): void => {
        const w = f.wake;
        f.wake = undefined;
        w?.();
      };
      const onData = (value: unknown): void => {
        try {
          this.push(value);
        } catch (err) {
          f.refused ??= err;
        }
        if (this.buffered >= PUSH_AHEAD) source.pause();
        wake();
      };
      const onEnd = (): void => {
        f.ended = true;
        wake();
      };
      const onError = (err: unknown): void => {
        f.error ??= err;
        wake();
      };
      // Closed without 'end' or 'error' (destroyed): the data stops here, as for the iterator.
      const onClose = (): void => {
        if (!f.ended && f.error === undefined && !source.readableEnded) f.error = new Error('premature close');
        wake();
      };
      source.on('data', onData);
      source.on('end', onEnd);
      source.on('error', onError);
      source.on('close', onClose);
      f.detach = () => {
        source.removeListener('data', onData);
        source.removeListener('end', onEnd);
        source.removeListener('error', onError);
        source.removeListener('close', onClose);
        source.pause();
      };
      if (source.readableEnded) f.ended = true;
      // Failed before anyone read it (a reset while the caller was busy elsewhere): its own error.
      else if (source.errored) onError(source.errored);
      else if (source.destroyed) onClose();
    }
    const f = feed;
    const before = this.chunks.length - this.head;
    return new Promise<boolean>((resolve, reject) => {
      const check = (): boolean => {
        if (this.chunks.length - this.head > before || (before === 0 && this.buffered > 0)) {
          resolve(true);
          return true;
        }
        if (f.refused !== undefined || f.error !== undefined) {
          this.eof = true;
          f.detach();
          reject(f.refused ?? this.readError(f.error));
          return true;
        }
        if (f.ended) {
          this.eof = true;
          f.detach();
          resolve(false);
          return true;
        }
        return false;
      };
      if (check()) return;
      const retry = (): void => {
        if (!check()) f.wake = retry; // an empty chunk: keep waiting
      };
      f.wake = retry;
      source.resume();
    });
  }

  // Position of the first '\n' among the buffered bytes, or -1. Each byte is searched once.
  private findNewline(): number {
    if (this.scanned === 0) {
      this.scanChunk = this.head;
      this.scanPos = this.offset;
    }
    while (this.scanChunk < this.chunks.length) {
      const chunk = this.chunks[this.scanChunk] as Buffer;
      const idx = chunk.indexOf(NEWLINE, this.scanPos);
      if (idx >= 0) return this.scanned + (idx - this.scanPos);
      this.scanned += chunk.length - this.scanPos;
      this.scanChunk++;
      this.scanPos = 0;
    }
    return -1;
  }

  // Removes and returns the next n buffered bytes (n <= buffered); copies only across chunks.
  private takeBuffered(n: number): Buffer {
    this.position += n;
    const first = this.chunks[this.head] as Buffer;
    let out: Buffer;
    if (first.length - this.offset >= n) {
      out = first.subarray(this.offset, this.offset + n);
      this.advance(n);
    } else {
      out = Buffer.allocUnsafe(n);
      let o = 0;
      while (o < n) {
        const chunk = this.chunks[this.head] as Buffer;
        const piece = Math.min(n - o, chunk.length - this.offset);
        chunk.copy(out, o, this.offset, this.offset + piece);
        o += piece;
        this.advance(piece);
      }
    }
    return out;
  }

  // Consumes n bytes of the head chunk (n <= what is left of it).
  private advance(n: number): void {
    this.offset += n;
    this.buffered -= n;
    this.scanned = Math.max(0, this.scanned - n);
    const chunk = this.chunks[this.head] as Buffer;
    if (this.offset === chunk.length) {
      this.chunks[this.head] = EMPTY;
      this.head++;
      this.offset = 0;
      if (this.head === this.chunks.length || this.head > 1024) {
        this.chunks = this.chunks.slice(this.head);
        this.scanChunk -= this.head;
        this.head = 0;
      }
    }
  }
}

const EMPTY = Buffer.alloc(0);
