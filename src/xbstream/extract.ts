// Native replacement for `mbstream -x` / `xbstream -x`: writes the files of an xbstream under
// destDir as the chunks arrive. While one chunk is being written (or one finished file synced
// and closed), the next is read and checked; the one after that is not read until the write
// is done. So at most two chunks are in memory, and a slow disk still slows the sender.
import { mkdir, realpath, type FileHandle } from 'node:fs/promises';
import { IntegrityError } from '../errors.js';
import { parseXbstreamPieces, type ParseOptions, type XbChunkPieces } from './chunks.js';
import { DEFAULT_MAX_FILE_SIZE } from './format.js';
import { OutputFiles, type OutputFile } from './outputFiles.js';
import { splitStreamPath } from './safePath.js';

export interface ExtractResult {
  /** Files completed (E chunk seen). */
  files: number;
  /** Payload bytes written (holes of sparse files not counted). */
  bytes: bigint;
}

export interface ExtractOptions extends ParseOptions {
  /** Mode of the files created (xbstream carries none); default 0640. */
  fileMode?: number;
  /** Mode of the directories created; default 0750. */
  dirMode?: number;
  /** Descriptors held open at most; default 32. */
  maxOpenFiles?: number;
  /**
   * fsync each file once, after its E chunk (in the background, while the stream goes on; all
   * done before extractXbstream resolves); default true. MariaDB 10.11's mbstream does not
   * (checked with strace), but a backup we report complete should be on disk.
   */
  fsync?: boolean;
  /** Largest apparent size (data and holes) a file may reach; default DEFAULT_MAX_FILE_SIZE. */
  maxFileSize?: bigint;
  /** Called when a file is complete, with its path in the stream and its size. */
  onFile?: (path: string, size: bigint) => void;
}

// pwritev takes at most IOV_MAX (1024 on Linux) buffers at a time.
const MAX_IOV = 1024;

function filePosition(pos: bigint, rel: string): number {
  if (pos > BigInt(Number.MAX_SAFE_INTEGER)) throw new IntegrityError(`xbstream: offset ${pos} in ${rel} is too large`);
  return Number(pos);
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
  let left = pieces.filter((p) => p.length > 0);
  let at = position;
  while (left.length > 0) {
    const batch = left.length > MAX_IOV ? left.slice(0, MAX_IOV) : left;
    const { bytesWritten } = await fh.writev(batch, at);
    if (bytesWritten <= 0) throw new Error(`xbstream: write at offset ${at} made no progress`);
    at += bytesWritten;
    left = skipBytes(left, bytesWritten);
  }
}

/** How far a P or S chunk moves its file's position (a sparse chunk's holes count). */
function chunkAdvance(chunk: XbChunkPieces): bigint {
  if (chunk.kind === 'payload') return BigInt(chunk.length);
  if (chunk.kind !== 'sparse') return 0n;
  let n = 0;
  for (const { skip, len } of chunk.map) n += skip + len; // at most 131072 × 2^33: exact in a double
  return BigInt(n);
}

/** Writes a P or S chunk at the file's position and moves the position on (synchronously). */
function writeChunk(f: OutputFile & { fh: FileHandle }, chunk: XbChunkPieces, rel: string): Promise<void> {
  if (chunk.kind === 'payload') {
    const at = filePosition(f.pos, rel);
    f.pos += BigInt(chunk.length);
    if (chunk.length > 0) f.end = f.pos;
    return writeAt(f.fh, chunk.pieces, at);
  }
  if (chunk.kind !== 'sparse') throw new Error('writeChunk: an E chunk has no data');
  // S chunks (XtraBackup 8.0 only) are rare: join the payload, then write the mapped ranges.
  const data = Buffer.concat(chunk.pieces, chunk.length);
  const writes: Array<[Buffer, number]> = [];
  let from = 0;
  for (const { skip, len } of chunk.map) {
    f.pos += BigInt(skip);
    if (len > 0) {
      writes.push([data.subarray(from, from + len), filePosition(f.pos, rel)]);
      f.pos += BigInt(len);
      f.end = f.pos;
      from += len;
    }
  }
  return (async () => {
    for (const [part, at] of writes) await writeAt(f.fh, [part], at);
  })();
}

export async function extractXbstream(
  source: AsyncIterable<Buffer>,
  destDir: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  const dirMode = opts.dirMode ?? 0o750;
  const maxFileSize = opts.maxFileSize ?? DEFAULT_MAX_FILE_SIZE;
  await mkdir(destDir, { recursive: true, mode: dirMode });
  const root = await realpath(destDir);
  const files = new OutputFiles(root, {
    fileMode: opts.fileMode ?? 0o640,
    dirMode,
    maxOpen: Math.max(1, opts.maxOpenFiles ?? 32),
    fsync: opts.fsync ?? true,
  });
  let count = 0;
  let bytes = 0n;
  // The one file operation that may run while the parser reads on. Awaited before anything
  // else touches `files` (it may close a descriptor), and always before returning.
  let inFlight: Promise<void> = Promise.resolve();
  const launch = (op: Promise<void>): void => {
    op.catch(() => undefined); // its error is reported where it is awaited
    inFlight = op;
  };
  try {
    for await (const chunk of parseXbstreamPieces(source, opts)) {
      const parts = splitStreamPath(chunk.path);
      const rel = parts.join('/');
      await inFlight;
      if (chunk.kind === 'eof') {
        launch(
          files.finish(rel, parts).then((size) => {
            count++;
            opts.onFile?.(rel, size);
          }),
        );
        continue;
      }
      const f = await files.forData(rel, parts);
      if (chunk.offset !== f.pos) {
        throw new IntegrityError(`xbstream: out-of-order chunk for ${rel}: offset ${chunk.offset}, expected ${f.pos}`);
      }
      const grown = f.pos + chunkAdvance(chunk);
      if (grown > maxFileSize) {
        throw new IntegrityError(`xbstream: ${rel} would grow to ${grown} bytes, over the limit of ${maxFileSize} (max_file_size)`);
      }
      launch(writeChunk(f, chunk, rel));
      bytes += BigInt(chunk.length);
    }
    await inFlight;
    await files.settle(); // every finished file on disk before we say the extraction is complete
    const left = files.unfinished();
    if (left.length > 0) {
      const shown = left.slice(0, 5).join(', ') + (left.length > 5 ? `, and ${left.length - 5} more` : '');
      throw new IntegrityError(`xbstream ended before the E chunk of ${left.length} file(s): ${shown}`);
    }
  } finally {
    await inFlight.catch(() => undefined);
    await files.closeAll();
  }
  return { files: count, bytes };
}
