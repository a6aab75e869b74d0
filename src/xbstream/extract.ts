// Native replacement for `mbstream -x` / `xbstream -x`: writes the files of an xbstream under
// destDir as the bytes arrive. Each chunk's payload is written piece by piece while it is read
// (PieceWriter: one batch written while the next fills), its checksum checked at its end; a
// mismatch fails the extraction, and callers extract into a staging directory they publish
// only on success. So a few hundred KiB are held, not whole chunks, and a slow disk still
// slows the sender.
import { mkdir, realpath } from 'node:fs/promises';
import { IntegrityError } from '../errors.js';
import { readXbstream, type ParseOptions, type XbChunkHead } from './chunks.js';
import { DEFAULT_MAX_FILE_SIZE } from './format.js';
import { OutputFiles, type OutputFile } from './outputFiles.js';
import { PieceWriter, type Segment } from './pieceWriter.js';
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

function filePosition(pos: bigint, rel: string): number {
  if (pos > BigInt(Number.MAX_SAFE_INTEGER)) throw new IntegrityError(`xbstream: offset ${pos} in ${rel} is too large`);
  return Number(pos);
}

/** How far a P or S chunk moves its file's position (a sparse chunk's holes count). */
function chunkAdvance(chunk: XbChunkHead): bigint {
  if (chunk.kind === 'payload') return BigInt(chunk.length);
  let n = 0;
  for (const { skip, len } of chunk.map) n += skip + len; // at most 131072 × 2^33: exact in a double
  return BigInt(n);
}

/** Where a P or S chunk's payload goes in its file; moves the file's position on. */
function placeChunk(f: OutputFile, chunk: XbChunkHead, rel: string): Segment[] {
  if (chunk.kind === 'payload') {
    const at = filePosition(f.pos, rel);
    f.pos += BigInt(chunk.length);
    if (chunk.length > 0) f.end = f.pos;
    return chunk.length > 0 ? [{ at, len: chunk.length }] : [];
  }
  // S chunks (XtraBackup 8.0 only): the mapped ranges, holes skipped.
  const segments: Segment[] = [];
  for (const { skip, len } of chunk.map) {
    f.pos += BigInt(skip);
    if (len > 0) {
      segments.push({ at: filePosition(f.pos, rel), len });
      f.pos += BigInt(len);
      f.end = f.pos;
    }
  }
  return segments;
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
  // The one file operation that may run while the parser reads on (the last writes of a chunk,
  // or a finished file's close). Awaited before anything else touches `files` (it may close a
  // descriptor), and always before returning.
  let inFlight: Promise<void> = Promise.resolve();
  const launch = (op: Promise<void>): void => {
    op.catch(() => undefined); // its error is reported where it is awaited
    inFlight = op;
  };
  // The chunk whose payload is arriving. Its pieces go into the staging file unverified; a
  // checksum mismatch fails the whole extraction, so the directory is never published.
  let current: PieceWriter | undefined;
  try {
    await readXbstream(
      source,
      {
        eof: async (path) => {
          const parts = splitStreamPath(path);
          const rel = parts.join('/');
          await inFlight;
          launch(
            files.finish(rel, parts).then((size) => {
              count++;
              opts.onFile?.(rel, size);
            }),
          );
        },
        begin: async (chunk) => {
          const parts = splitStreamPath(chunk.path);
          const rel = parts.join('/');
          await inFlight;
          const f = await files.forData(rel, parts);
          if (chunk.offset !== f.pos) {
            throw new IntegrityError(`xbstream: out-of-order chunk for ${rel}: offset ${chunk.offset}, expected ${f.pos}`);
          }
          const grown = f.pos + chunkAdvance(chunk);
          if (grown > maxFileSize) {
            throw new IntegrityError(`xbstream: ${rel} would grow to ${grown} bytes, over the limit of ${maxFileSize} (max_file_size)`);
          }
          current = new PieceWriter(f.fh, placeChunk(f, chunk, rel));
          bytes += BigInt(chunk.length);
        },
        data: (piece) => (current as PieceWriter).add(piece),
        end: () => {
          launch((current as PieceWriter).finish());
          current = undefined;
        },
      },
      opts,
    );
    await inFlight;
    await files.settle(); // every finished file on disk before we say the extraction is complete
    const left = files.unfinished();
    if (left.length > 0) {
      const shown = left.slice(0, 5).join(', ') + (left.length > 5 ? `, and ${left.length - 5} more` : '');
      throw new IntegrityError(`xbstream ended before the E chunk of ${left.length} file(s): ${shown}`);
    }
  } finally {
    await current?.abandon();
    await inFlight.catch(() => undefined);
    await files.closeAll();
  }
  return { files: count, bytes };
}
