// Compression in transit (protocol 2.2, docs/DESIGN.md): the encodings a data stream may travel
// in, how a token names one (`gzip:1`), which this runtime has, and the zlib streams that do the
// work. gzip is in every Node we support; zstd only where zlib has it (Node >= 22.15 / 23.8).
import type { Transform } from 'node:stream';
import { lazyBuiltin } from '../process/lazyBuiltin.js';

// Loaded on first use: the settings name encodings on every plugin call, which never compress.
const zlib = lazyBuiltin<typeof import('node:zlib')>('node:zlib');

export type Codec = 'gzip' | 'zstd';

/** One encoding: the codec and the sender's level; `token` is how the wire and config name it. */
export interface Encoding {
  codec: Codec;
  level: number;
  token: string;
}

// Low defaults: compression pays on a slow link only, and a low level keeps the sender's cost small.
const LEVELS: Readonly<Record<Codec, { min: number; max: number; low: number }>> = {
  gzip: { min: 1, max: 9, low: 1 },
  zstd: { min: 1, max: 19, low: 1 },
};

// The zstd half of zlib, where the runtime has it (@types/node for Node 20 does not know it).
interface ZstdZlib {
  zstdCompress?: (data: Buffer, opts: { params: Record<number, number> }, done: Done) => void;
  createZstdDecompress?: (opts?: { chunkSize?: number }) => Transform;
  constants: { ZSTD_c_compressionLevel?: number };
}
const zstdZlib = (): ZstdZlib => zlib() as unknown as ZstdZlib;

/** Whether this runtime can encode and decode `codec`. */
export function runtimeHas(codec: Codec): boolean {
  if (codec === 'gzip') return true;
  const z = zstdZlib();
  return typeof z.zstdCompress === 'function' && typeof z.createZstdDecompress === 'function';
}

/** `gzip`, `gzip:1`..`gzip:9`, `zstd`, `zstd:1`..`zstd:19` (a bare name is its low level); else undefined. */
export function parseEncoding(token: string): Encoding | undefined {
  const m = /^(gzip|zstd)(?::(\d{1,2}))?$/.exec(token);
  if (!m) return undefined;
  const codec = m[1] as Codec;
  const range = LEVELS[codec];
  const level = m[2] === undefined ? range.low : Number(m[2]);
  if (level < range.min || level > range.max) return undefined;
  return { codec, level, token: `${codec}:${level}` };
}

/** The first encoding the client offered that this server has (unknown tokens are skipped: later versions may add codecs). */
export function pickEncoding(offers: readonly string[]): Encoding | undefined {
  for (const offer of offers) {
    const enc = parseEncoding(offer);
    if (enc && runtimeHas(enc.codec)) return enc;
  }
  return undefined;
}

// Larger pieces out of the decompressor: the receiver writes each one.
const CHUNK = 256 * 1024;

type Done = (err: Error | null, out: Buffer) => void;

/**
 * One block of the payload, compressed on libuv's thread pool as a whole gzip member (zstd
 * frame): members concatenated are one valid stream, so several blocks can be compressed at
 * once and sent in order (compressionFrames.ts). `stored`: gzip level 0, the bytes as they are
 * plus a CRC, for data that does not shrink (zstd finds that out cheaply by itself).
 */
export function encodeBlock(enc: Encoding, block: Buffer, opts: { stored?: boolean } = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done: Done = (err, out) => (err ? reject(err) : resolve(out));
    // Room for the whole member in zlib's one output buffer: no pieces to join (and no garbage) per block.
    if (enc.codec === 'gzip') return zlib().gzip(block, { level: opts.stored ? 0 : enc.level, chunkSize: block.length + 64 * 1024 }, done);
    const z = zstdZlib();
    const key = z.constants.ZSTD_c_compressionLevel;
    if (!z.zstdCompress || key === undefined) return reject(new Error('zstd is not available in this runtime'));
    z.zstdCompress(block, { params: { [key]: enc.level } }, done);
  });
}

/** The receiver's decompressor: a stream of one or more members (frames). */
export function createDecoder(codec: Codec): Transform {
  if (codec === 'gzip') return zlib().createGunzip({ chunkSize: CHUNK });
  const create = zstdZlib().createZstdDecompress;
  if (!create) throw new Error('zstd is not available in this runtime');
  return create({ chunkSize: CHUNK });
}
