// Native replacement for `mbstream -x` / `xbstream -x`: writes the files of an xbstream under
// destDir as the chunks arrive. One chunk is in memory at a time and the next is not read
// until the last is written, so a slow disk slows the sender instead of filling memory.
import { mkdir, realpath, type FileHandle } from 'node:fs/promises';
import { IntegrityError } from '../errors.js';
import { parseXbstream, type ParseOptions } from './chunks.js';
import { OutputFiles } from './outputFiles.js';
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
  /** fsync each file when its E chunk arrives, as the reference extractor does; default true. */
  fsync?: boolean;
  /** Called when a file is complete, with its path in the stream and its size. */
  onFile?: (path: string, size: bigint) => void;
}

function filePosition(pos: bigint, rel: string): number {
  if (pos > BigInt(Number.MAX_SAFE_INTEGER)) throw new IntegrityError(`xbstream: offset ${pos} in ${rel} is too large`);
  return Number(pos);
}

async function writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await fh.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

export async function extractXbstream(
  source: AsyncIterable<Buffer>,
  destDir: string,
  opts: ExtractOptions = {},
): Promise<ExtractResult> {
  const dirMode = opts.dirMode ?? 0o750;
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
  try {
    for await (const chunk of parseXbstream(source, opts)) {
      const parts = splitStreamPath(chunk.path);
      const rel = parts.join('/');
      if (chunk.kind === 'eof') {
        const size = await files.finish(rel, parts);
        count++;
        opts.onFile?.(rel, size);
        continue;
      }
      const f = await files.forData(rel, parts);
      if (chunk.offset !== f.pos) {
        throw new IntegrityError(`xbstream: out-of-order chunk for ${rel}: offset ${chunk.offset}, expected ${f.pos}`);
      }
      if (chunk.kind === 'payload') {
        await writeAll(f.fh, chunk.data, filePosition(f.pos, rel));
        f.pos += BigInt(chunk.data.length);
        f.end = f.pos;
      } else {
        let at = 0;
        for (const { skip, len } of chunk.map) {
          f.pos += BigInt(skip);
          if (len > 0) {
            await writeAll(f.fh, chunk.data.subarray(at, at + len), filePosition(f.pos, rel));
            f.pos += BigInt(len);
            f.end = f.pos;
            at += len;
          }
        }
      }
      bytes += BigInt(chunk.data.length);
    }
    const left = files.unfinished();
    if (left.length > 0) {
      const shown = left.slice(0, 5).join(', ') + (left.length > 5 ? `, and ${left.length - 5} more` : '');
      throw new IntegrityError(`xbstream ended before the E chunk of ${left.length} file(s): ${shown}`);
    }
  } finally {
    await files.closeAll();
  }
  return { files: count, bytes };
}
