// Test helpers: sources that deliver bytes in chosen pieces, and a sink that collects them.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { Readable, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { LegacySender } from '../../../src/protocol/legacyFrames.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';

/** Splits data into pieces of `size` bytes (the last one shorter). */
export function split(data: Buffer, size: number): Buffer[] {
  const pieces: Buffer[] = [];
  for (let i = 0; i < data.length; i += size) pieces.push(data.subarray(i, i + size));
  return pieces;
}

/** A Readable that delivers each piece as its own chunk (object mode keeps the boundaries). */
export function sourceOf(pieces: Buffer[]): Readable {
  return Readable.from(pieces);
}

export function readerOf(data: Buffer | string, pieceSize = Infinity): StreamReader {
  const buf = Buffer.isBuffer(data) ? data : Buffer.from(data);
  return new StreamReader(sourceOf(pieceSize === Infinity ? [buf] : split(buf, pieceSize)));
}

/**
 * A reader over an async generator: it gets one piece each time it asks, never one ahead (a
 * Readable source is read ahead; this shows what happens when the reader must wait).
 */
export function pulledReaderOf(data: Buffer | string, pieceSize: number): StreamReader {
  const pieces = split(Buffer.isBuffer(data) ? data : Buffer.from(data), pieceSize);
  return new StreamReader((async function* () {
    yield* pieces;
  })());
}

/** A Writable that keeps everything written to it. */
export class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.chunks.push(chunk);
    cb();
  }
  get data(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** True when `part` is a view into `whole` (the same memory, not a copy). */
/** The 1.8b5 frames of `data`, as LegacySender (byte for byte the old server) puts them on the wire. */
export async function legacyWireOf(data: Buffer): Promise<Buffer> {
  const sink = new Sink();
  const sender = new LegacySender(sink);
  await sender.write(data);
  await sender.end();
  return sink.data;
}

export function isViewOf(part: Buffer, whole: Buffer): boolean {
  const start = part.byteOffset - whole.byteOffset;
  return part.buffer === whole.buffer && start >= 0 && start + part.length <= whole.length;
}

export async function collect(gen: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of gen) parts.push(part);
  return Buffer.concat(parts);
}

function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, 'utf8')).name === 'mysql-zrm-innobackupex') return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error('repository root (package.json of mysql-zrm-innobackupex) not found');
    dir = up;
  }
}

/** The wire vectors, copied into the repo (test/fixtures/vectors) so a fresh clone has them. */
export function vectorsDir(): string {
  return resolve(repoRoot(), 'test', 'fixtures', 'vectors');
}
