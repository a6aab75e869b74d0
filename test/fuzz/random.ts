// A small seeded generator (mulberry32) and the byte-level mutations every fuzz target uses.
// The same seed gives the same cases, so a failure printed with its seed reproduces.

export class Rng {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(n: number): Buffer {
    const b = Buffer.alloc(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }
}

/** The seed of case `i` of a run: independent of how many random numbers earlier cases drew. */
export function caseSeed(runSeed: number, i: number): number {
  let h = (runSeed ^ Math.imul(i + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

// Values that sit on the edges length and count fields care about.
const INTERESTING_32 = [0, 1, 0x7f, 0x80, 0xff, 0x100, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];

function mutateOnce(rng: Rng, b: Buffer, other: Buffer): Buffer {
  const at = b.length === 0 ? 0 : rng.int(b.length);
  switch (rng.int(9)) {
    case 0: // flip a bit
      if (b.length === 0) return rng.bytes(1);
      b[at] = (b[at] as number) ^ (1 << rng.int(8));
      return b;
    case 1: // set a byte
      if (b.length === 0) return rng.bytes(1);
      b[at] = rng.pick([0, 0x0a, 0x20, 0x2a, 0x2f, 0x2e, 0xff, rng.int(256)]);
      return b;
    case 2: // insert random bytes
      return Buffer.concat([b.subarray(0, at), rng.bytes(1 + rng.int(16)), b.subarray(at)]);
    case 3: // delete a range
      return Buffer.concat([b.subarray(0, at), b.subarray(Math.min(b.length, at + 1 + rng.int(64)))]);
    case 4: // duplicate a range
      return Buffer.concat([b.subarray(0, at), b.subarray(at, at + 1 + rng.int(256)), b.subarray(at)]);
    case 5: // truncate
      return b.subarray(0, at);
    case 6: { // write an interesting 32-bit value, either byte order
      if (b.length < 4) return b;
      const pos = rng.int(b.length - 3);
      const v = rng.pick(INTERESTING_32);
      if (rng.int(2) === 0) b.writeUInt32LE(v, pos);
      else b.writeUInt32BE(v, pos);
      return b;
    }
    case 7: // splice in a piece of another seed
      return Buffer.concat([b.subarray(0, at), other.subarray(rng.int(other.length + 1)), b.subarray(at)]).subarray(0, 1 << 20);
    default: // a decimal number where a count or length may be
      return Buffer.concat([b.subarray(0, at), Buffer.from(String(rng.pick(INTERESTING_32))), b.subarray(at)]);
  }
}

/** A case's input: random bytes, or a seed mutated 1-8 times. */
export function makeInput(rng: Rng, seeds: readonly Buffer[]): Buffer {
  if (seeds.length === 0 || rng.int(10) === 0) return rng.bytes(rng.int(512));
  let b: Buffer = Buffer.from(rng.pick(seeds));
  const other = rng.pick(seeds);
  const n = 1 + rng.int(8);
  for (let i = 0; i < n; i++) b = mutateOnce(rng, b, other);
  return b;
}

/** Cuts `data` into pieces as a socket might deliver it: whole, in random pieces, or byte-sized. */
export function piecesOf(rng: Rng, data: Buffer): Buffer[] {
  const mode = rng.int(10);
  if (mode < 5) return [data];
  const max = mode === 9 ? 8 : 4096;
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; ) {
    const n = 1 + rng.int(max);
    out.push(data.subarray(i, i + n));
    i += n;
  }
  return out;
}
