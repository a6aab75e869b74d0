// Streaming xbstream parser: one chunk at a time, checksums verified before a chunk is handed
// on (readXbstream: its payload handed on as it arrives, the checksum checked at its end). Stricter than the reference readers where they are lax (see PROTOCOL.md §7): a stream
// cut anywhere but between chunks, or cut inside a chunk, is an error here.
import { IntegrityError } from '../errors.js';
import { ByteReader } from './byteReader.js';
import { crc32 } from './crc32.js';
import {
  DEFAULT_MAX_CHUNK_BYTES, FIXED_HEADER_LEN, FLAG_IGNORABLE, MAGIC, MAX_PATH_LEN, MAX_SPARSE_MAP_BYTES,
  PAYLOAD_HEADER_LEN, SPARSE_COUNT_LEN, SPARSE_ENTRY_LEN, TYPE_EOF, TYPE_PAYLOAD, TYPE_SPARSE,
} from './format.js';

export interface SparseEntry {
  /** Bytes to seek forward (a hole) before writing. */
  skip: number;
  /** Payload bytes to write after the hole. */
  len: number;
}

export type XbChunk =
  | { kind: 'payload'; path: string; offset: bigint; data: Buffer; flags: number }
  | { kind: 'sparse'; path: string; offset: bigint; data: Buffer; map: SparseEntry[]; flags: number }
  | { kind: 'eof'; path: string; flags: number };

/** An XbChunk whose payload is left in the pieces it arrived in (no copy): `length` bytes in all. */
export type XbChunkPieces =
  | { kind: 'payload'; path: string; offset: bigint; pieces: Buffer[]; length: number; flags: number }
  | { kind: 'sparse'; path: string; offset: bigint; pieces: Buffer[]; length: number; map: SparseEntry[]; flags: number }
  | { kind: 'eof'; path: string; flags: number };

export interface ParseOptions {
  /** Largest payload one chunk may declare; default 64 MiB. */
  maxChunkBytes?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodePath(bytes: Buffer, at: number): string {
  let path: string;
  try {
    path = utf8.decode(bytes);
  } catch {
    throw new IntegrityError(`xbstream: chunk at byte ${at} has a path that is not valid UTF-8`);
  }
  if (path.includes('\0')) throw new IntegrityError(`xbstream: chunk at byte ${at} has a NUL in its path`);
  return path;
}

function parseSparseMap(raw: Buffer, payloadLength: number, at: number): SparseEntry[] {
  const map: SparseEntry[] = [];
  let total = 0;
  for (let i = 0; i < raw.length; i += SPARSE_ENTRY_LEN) {
    const entry = { skip: raw.readUInt32LE(i), len: raw.readUInt32LE(i + 4) };
    total += entry.len;
    map.push(entry);
  }
  // The writer packs exactly the mapped bytes; anything else is a corrupt chunk.
  if (total !== payloadLength) {
    throw new IntegrityError(`xbstream: sparse chunk at byte ${at} maps ${total} bytes but carries ${payloadLength}`);
  }
  return map;
}

/** The chunks of an xbstream, each checked (checksum, lengths, path) before it is yielded. */
export async function* parseXbstream(source: AsyncIterable<Buffer>, opts: ParseOptions = {}): AsyncGenerator<XbChunk> {
  for await (const c of parseXbstreamPieces(source, opts)) {
    if (c.kind === 'eof') {
      yield c;
      continue;
    }
    const data = c.pieces.length === 1 ? (c.pieces[0] as Buffer) : Buffer.concat(c.pieces, c.length);
    const { path, offset, flags } = c;
    yield c.kind === 'payload'
      ? { kind: 'payload', path, offset, data, flags }
      : { kind: 'sparse', path, offset, data, map: c.map, flags };
  }
}

function truncatedAt(at: number, what: string): IntegrityError {
  return new IntegrityError(`xbstream truncated: input ends inside the ${what} of the chunk at byte ${at}`);
}

/** Exactly `n` more bytes of the chunk starting at byte `at`, or an error naming `what` is cut. */
async function need(reader: ByteReader, at: number, n: number, what: string): Promise<Buffer> {
  if (!(await reader.ensure(n))) throw truncatedAt(at, what);
  return reader.take(n);
}

interface ChunkHead {
  flags: number;
  type: number;
  /** A type we read; an unknown one is skippable (its ignorable flag set). */
  known: boolean;
  path: string;
}

/** The fixed header and the path of the chunk at `at`; undefined at a clean end between chunks. */
async function readChunkHead(reader: ByteReader, at: number): Promise<ChunkHead | undefined> {
  if (!(await reader.ensure(FIXED_HEADER_LEN))) {
    if (reader.available === 0) return undefined; // a clean end, between chunks
    await need(reader, at, FIXED_HEADER_LEN, 'header');
  }
  const head = reader.take(FIXED_HEADER_LEN);
  if (!head.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new IntegrityError(`xbstream: bad chunk magic at byte ${at}`);
  }
  const flags = head[8] as number;
  const type = head[9] as number;
  const known = type === TYPE_PAYLOAD || type === TYPE_SPARSE || type === TYPE_EOF;
  if (!known && !(flags & FLAG_IGNORABLE)) {
    throw new IntegrityError(`xbstream: unknown chunk type 0x${type.toString(16)} at byte ${at}`);
  }
  const pathLen = head.readUInt32LE(10);
  if (pathLen === 0) throw new IntegrityError(`xbstream: chunk at byte ${at} has an empty path`);
  if (pathLen >= MAX_PATH_LEN) {
    throw new IntegrityError(`xbstream: chunk at byte ${at} has a path of ${pathLen} bytes`);
  }
  const path = decodePath(await need(reader, at, pathLen, 'path'), at);
  return { flags, type, known, path };
}

interface PayloadHead {
  length: number;
  offset: bigint;
  stored: number;
  rawMap: Buffer;
}

/** The sparse map (if any) and payload header, bounded before a byte of the payload is read. */
async function readPayloadHead(reader: ByteReader, at: number, h: ChunkHead, maxBytes: number): Promise<PayloadHead> {
  const { path } = h;
  // Unknown (skippable) types are read with the payload layout, as the reference does.
  const mapCount = h.type === TYPE_SPARSE ? (await need(reader, at, SPARSE_COUNT_LEN, 'sparse map size')).readUInt32LE(0) : 0;
  const ph = await need(reader, at, PAYLOAD_HEADER_LEN, 'payload header');
  const length64 = ph.readBigUInt64LE(0);
  const offset = ph.readBigUInt64LE(8);
  const stored = ph.readUInt32LE(16);
  if (length64 > BigInt(maxBytes)) {
    throw new IntegrityError(`xbstream: chunk at byte ${at} (${path}) declares ${length64} bytes, over the ${maxBytes} limit`);
  }
  // Bounded before a byte of it is read: by size, and by the payload it has to place (every
  // entry but a trailing hole carries data).
  if (mapCount * SPARSE_ENTRY_LEN > MAX_SPARSE_MAP_BYTES) {
    throw new IntegrityError(
      `xbstream: chunk at byte ${at} (${path}) declares a sparse map of ${mapCount} entries, over the ${MAX_SPARSE_MAP_BYTES / SPARSE_ENTRY_LEN} limit`,
    );
  }
  if (mapCount > length64 + 1n) {
    throw new IntegrityError(`xbstream: chunk at byte ${at} (${path}) declares a sparse map of ${mapCount} entries for ${length64} payload bytes`);
  }
  const rawMap = await need(reader, at, mapCount * SPARSE_ENTRY_LEN, 'sparse map');
  return { length: Number(length64), offset, stored, rawMap };
}

/**
 * The payload piece by piece, each handed to `onPiece` as it arrives (views of the source's
 * pieces, no copy), its checksum (over map and payload) computed on the way. A skippable
 * chunk's payload is read past and not handed on.
 */
async function readPayload(
  reader: ByteReader,
  at: number,
  p: PayloadHead,
  keep: boolean,
  onPiece: (piece: Buffer) => void | Promise<void>,
): Promise<number> {
  let crc = crc32(p.rawMap);
  for (let left = p.length; left > 0; ) {
    // What is already buffered is taken without an await (a promise per piece otherwise).
    if (reader.available === 0 && !(await reader.ensure(1))) throw truncatedAt(at, 'payload');
    const piece = reader.takeSome(left);
    if (keep) {
      crc = crc32(piece, crc);
      const waited = onPiece(piece);
      if (waited) await waited;
    }
    left -= piece.length;
  }
  return crc;
}

function checkCrc(crc: number, at: number, h: ChunkHead, p: PayloadHead): void {
  if (crc !== p.stored) {
    throw new IntegrityError(
      `xbstream: checksum mismatch in chunk at byte ${at} (${h.path} offset ${p.offset}): ` +
        `stored 0x${p.stored.toString(16)}, computed 0x${crc.toString(16)}`,
    );
  }
}

/**
 * As parseXbstream, without joining each payload into one buffer: a 10 MiB chunk arrives in
 * ~160 pieces, and copying them together costs a full extra pass and 10 MiB of garbage.
 */
export async function* parseXbstreamPieces(
  source: AsyncIterable<Buffer>,
  opts: ParseOptions = {},
): AsyncGenerator<XbChunkPieces> {
  const maxBytes = opts.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
  const reader = new ByteReader(source);
  try {
    for (;;) {
      const at = reader.position;
      const h = await readChunkHead(reader, at);
      if (!h) return;
      const { path, flags } = h;
      if (h.type === TYPE_EOF) {
        yield { kind: 'eof', path, flags };
        continue;
      }
      const p = await readPayloadHead(reader, at, h, maxBytes);
      const pieces: Buffer[] = [];
      const crc = await readPayload(reader, at, p, h.known, (piece) => {
        pieces.push(piece);
      });
      if (!h.known) continue; // skippable: its checksum may cover something we cannot know
      checkCrc(crc, at, h, p);
      const { length, offset } = p;
      if (h.type === TYPE_PAYLOAD) {
        yield { kind: 'payload', path, offset, pieces, length, flags };
      } else {
        yield { kind: 'sparse', path, offset, pieces, length, map: parseSparseMap(p.rawMap, length, at), flags };
      }
    }
  } finally {
    await reader.close();
  }
}

/** A P or S chunk's header, handed on before any of its payload. */
export type XbChunkHead =
  | { kind: 'payload'; path: string; offset: bigint; length: number; flags: number }
  | { kind: 'sparse'; path: string; offset: bigint; length: number; map: SparseEntry[]; flags: number };

/** Where readXbstream hands each chunk as it is read. Returning a promise holds the reading up. */
export interface XbChunkSink {
  /** An E chunk. */
  eof(path: string, flags: number): void | Promise<void>;
  /** A P or S chunk begins (lengths and sparse map checked); its payload follows. */
  begin(head: XbChunkHead): void | Promise<void>;
  /** The next piece of the current chunk's payload, not yet checksummed: write it nowhere final. */
  data(piece: Buffer): void | Promise<void>;
  /** The current chunk's checksum matched. A mismatch throws from readXbstream instead. */
  end(): void | Promise<void>;
}

/**
 * As parseXbstreamPieces, but each payload is handed on piece by piece as it arrives and its
 * checksum checked at the chunk's end: a 10 MiB chunk is never held whole. What `data` got
 * before a checksum mismatch is unverified; the caller must discard it when this throws.
 */
export async function readXbstream(source: AsyncIterable<Buffer>, sink: XbChunkSink, opts: ParseOptions = {}): Promise<void> {
  const maxBytes = opts.maxChunkBytes ?? DEFAULT_MAX_CHUNK_BYTES;
  const reader = new ByteReader(source);
  try {
    for (;;) {
      const at = reader.position;
      const h = await readChunkHead(reader, at);
      if (!h) return;
      const { path, flags } = h;
      if (h.type === TYPE_EOF) {
        await sink.eof(path, flags);
        continue;
      }
      const p = await readPayloadHead(reader, at, h, maxBytes);
      const { length, offset } = p;
      if (h.type === TYPE_PAYLOAD) await sink.begin({ kind: 'payload', path, offset, length, flags });
      else if (h.known) await sink.begin({ kind: 'sparse', path, offset, length, map: parseSparseMap(p.rawMap, length, at), flags });
      const crc = await readPayload(reader, at, p, h.known, (piece) => sink.data(piece));
      if (!h.known) continue; // skippable: its checksum may cover something we cannot know
      checkCrc(crc, at, h, p);
      await sink.end();
    }
  } finally {
    await reader.close();
  }
}
