// Builds xbstream bytes the way XtraBackup and mariabackup write them. For tests and the
// benchmark only (production reads streams, it never writes them). The low-level helpers
// let a test build a chunk by hand and then damage it.
import { crc32 } from './crc32.js';
import type { SparseEntry, XbChunk } from './chunks.js';
import {
  FIXED_HEADER_LEN, MAGIC, PAYLOAD_HEADER_LEN, SPARSE_COUNT_LEN, SPARSE_ENTRY_LEN,
  TYPE_EOF, TYPE_PAYLOAD, TYPE_SPARSE,
} from './format.js';

/** The writers' chunk size: they buffer this much of a file before emitting a chunk. */
export const WRITER_CHUNK_SIZE = 10 * 1024 * 1024;

export interface RawChunkSpec {
  /** The type byte ('P', 'S', 'E' or anything else). */
  type: number;
  path: string | Buffer;
  flags?: number;
  /** Omitted for an E-shaped chunk: nothing follows the path. */
  body?: { offset: bigint; data: Buffer; map?: SparseEntry[]; checksum?: number };
}

function fixedHeader(type: number, flags: number, path: Buffer): Buffer {
  const head = Buffer.alloc(FIXED_HEADER_LEN);
  MAGIC.copy(head, 0);
  head[8] = flags;
  head[9] = type;
  head.writeUInt32LE(path.length, 10);
  return Buffer.concat([head, path]);
}

function encodeMap(map: readonly SparseEntry[]): Buffer {
  const out = Buffer.alloc(map.length * SPARSE_ENTRY_LEN);
  map.forEach((e, i) => {
    out.writeUInt32LE(e.skip, i * SPARSE_ENTRY_LEN);
    out.writeUInt32LE(e.len, i * SPARSE_ENTRY_LEN + 4);
  });
  return out;
}

/** Any chunk, byte by byte as specified; the checksum is computed unless given. */
export function encodeRawChunk(spec: RawChunkSpec): Buffer {
  const path = typeof spec.path === 'string' ? Buffer.from(spec.path, 'utf8') : spec.path;
  const parts = [fixedHeader(spec.type, spec.flags ?? 0, path)];
  const body = spec.body;
  if (body) {
    const rawMap = body.map ? encodeMap(body.map) : Buffer.alloc(0);
    if (body.map) {
      const count = Buffer.alloc(SPARSE_COUNT_LEN);
      count.writeUInt32LE(body.map.length, 0);
      parts.push(count);
    }
    const ph = Buffer.alloc(PAYLOAD_HEADER_LEN);
    ph.writeBigUInt64LE(BigInt(body.data.length), 0);
    ph.writeBigUInt64LE(body.offset, 8);
    ph.writeUInt32LE(body.checksum ?? crc32(body.data, crc32(rawMap)), 16);
    parts.push(ph, rawMap, body.data);
  }
  return Buffer.concat(parts);
}

export function encodeChunk(c: XbChunk): Buffer {
  switch (c.kind) {
    case 'eof':
      return encodeRawChunk({ type: TYPE_EOF, path: c.path, flags: c.flags });
    case 'payload':
      return encodeRawChunk({ type: TYPE_PAYLOAD, path: c.path, flags: c.flags, body: { offset: c.offset, data: c.data } });
    case 'sparse':
      return encodeRawChunk({
        type: TYPE_SPARSE, path: c.path, flags: c.flags, body: { offset: c.offset, data: c.data, map: c.map },
      });
  }
}

/** Byte offsets inside an encoded P chunk with a path of `pathBytes` bytes (for damaging it). */
export function payloadChunkLayout(pathBytes: number): { length: number; offset: number; checksum: number; data: number } {
  const base = FIXED_HEADER_LEN + pathBytes;
  return { length: base, offset: base + 8, checksum: base + 16, data: base + PAYLOAD_HEADER_LEN };
}

export class XbstreamWriter {
  private readonly offsets = new Map<string, bigint>();

  /** The next P chunk of `path`, at the offset this writer has reached for it. */
  payload(path: string, data: Buffer): Buffer {
    const offset = this.offsets.get(path) ?? 0n;
    this.offsets.set(path, offset + BigInt(data.length));
    return encodeChunk({ kind: 'payload', path, offset, data, flags: 0 });
  }

  /** The next S chunk of `path`: holes and data as `map` says; `data` holds only the data. */
  sparse(path: string, map: SparseEntry[], data: Buffer): Buffer {
    const offset = this.offsets.get(path) ?? 0n;
    const advance = map.reduce((sum, e) => sum + BigInt(e.skip) + BigInt(e.len), 0n);
    this.offsets.set(path, offset + advance);
    return encodeChunk({ kind: 'sparse', path, offset, data, map, flags: 0 });
  }

  /** The E chunk of `path`. */
  eof(path: string): Buffer {
    this.offsets.delete(path);
    return encodeChunk({ kind: 'eof', path, flags: 0 });
  }

  /** A whole file: its data in chunks of `chunkSize` (none for an empty file), then E. */
  addFile(path: string, data: Buffer, opts: { chunkSize?: number } = {}): Buffer[] {
    const size = opts.chunkSize ?? WRITER_CHUNK_SIZE;
    if (size <= 0) throw new RangeError('chunkSize must be positive');
    const out: Buffer[] = [];
    for (let i = 0; i < data.length; i += size) out.push(this.payload(path, data.subarray(i, i + size)));
    out.push(this.eof(path));
    return out;
  }
}
