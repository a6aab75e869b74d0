// The bytes every case moves: one random block, handed out as views so that producing the data
// costs nothing next to what is measured (no allocation, no copy per write).
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';

const BLOCK_BYTES = 4 * 1024 * 1024;
let block: Buffer | undefined;

/** Random, so that nothing on the way can take a shortcut on runs of equal bytes. */
function dataBlock(): Buffer {
  block ??= randomBytes(BLOCK_BYTES);
  return block;
}

/** `total` bytes in pieces of `size` (the last one shorter), each a view of the block. */
export function* dataChunks(total: number, size: number): Generator<Buffer> {
  const src = dataBlock();
  const step = Math.min(size, src.length);
  let at = 0;
  for (let left = total; left > 0; ) {
    const n = Math.min(step, left, src.length - at);
    yield src.subarray(at, at + n);
    left -= n;
    at = (at + n) % src.length;
  }
}

/** Writes `total` bytes of data to a new file; returns their SHA-256, to check copies against. */
export async function writeDataFile(path: string, total: number): Promise<string> {
  const hash = createHash('sha256');
  const fh = await open(path, 'wx', 0o600);
  try {
    for (const chunk of dataChunks(total, BLOCK_BYTES)) {
      hash.update(chunk);
      await fh.write(chunk);
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** SHA-256 of a file, to check a copy outside the timed part. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** A new buffer of `n` data bytes (for pieces larger than the block, e.g. 10 MiB xbstream chunks). */
export function dataBuffer(n: number): Buffer {
  const out = Buffer.allocUnsafe(n);
  let o = 0;
  for (const chunk of dataChunks(n, BLOCK_BYTES)) o += chunk.copy(out, o);
  return out;
}

/** Total size of the regular files under dir: what an extraction wrote. */
