// Feeds a byte string to a reader the way a socket might: in pieces of any size.

/** A small seeded PRNG (mulberry32), so a failing random cut can be replayed. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export async function* inPieces(data: Buffer, nextSize: () => number): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; ) {
    const n = Math.max(1, Math.min(nextSize(), data.length - i));
    yield data.subarray(i, i + n);
    i += n;
    await Promise.resolve();
  }
}

export function whole(data: Buffer): AsyncGenerator<Buffer> {
  return inPieces(data, () => data.length);
}

export function oneByteAtATime(data: Buffer): AsyncGenerator<Buffer> {
  return inPieces(data, () => 1);
}

export function randomPieces(data: Buffer, seed: number, max = 300): AsyncGenerator<Buffer> {
  const rnd = prng(seed);
  return inPieces(data, () => 1 + Math.floor(rnd() * max));
}

export function randomBytes(n: number, seed: number): Buffer {
  const rnd = prng(seed);
  const out = Buffer.alloc(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rnd() * 256);
  return out;
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** A copy of `data` with one bit of byte `at` flipped. */
export function flip(data: Buffer, at: number, mask = 0x01): Buffer {
  const out = Buffer.from(data);
  out.writeUInt8((out.readUInt8(at) ^ mask) & 0xff, at);
  return out;
}
