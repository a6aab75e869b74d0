// The inner loops of uuencode/uudecode for full 45-byte lines ('M' + 60 characters + '\n', all but
// the last line of every 1.8b5 frame), as a tiny WebAssembly module using 128-bit SIMD: 16
// characters per step instead of 4. Built here from its opcodes (no toolchain, no binary file),
// compiled on first use. Returns null where the runtime has no WebAssembly SIMD (--jitless, an
// old CPU): the callers then use their plain JS loops, which also handle every other line and
// every error (this kernel only stops where a line is not a clean full line).

/** Lines one call can take: the input region holds 65520 bytes (1456 lines) of data. */
export const SIMD_ENCODE_LINES = 1456;
/** Lines of text one decode call can take: 1056 x 62 characters fit the input region. */
export const SIMD_DECODE_LINES = 1056;

export interface UuKernel {
  /** The module's memory: input at IN, output at OUT. */
  memory: Uint8Array;
  /** Encodes `lines` full lines from memory[IN..] to memory[OUT..] (62 characters each). */
  encode(lines: number): void;
  /** Decodes clean full lines from memory[IN..IN+length]; returns how many (45 bytes each at OUT). */
  decode(length: number): number;
}

export const IN = 0;
export const OUT = 65792; // after the input region and its slack (loads read up to 16 bytes past)

// ---- a minimal WebAssembly binary writer ----
const I32 = 0x7f;
const V128 = 0x7b;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let b = n & 0x7f;
    n >>>= 7;
    if (n !== 0) b |= 0x80;
    out.push(b);
  } while (n !== 0);
  return out;
}

function sleb(n: number): number[] {
  const out: number[] = [];
  for (;;) {
    const b = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (b & 0x40) === 0) || (n === -1 && (b & 0x40) !== 0)) return [...out, b];
    out.push(b | 0x80);
  }
}

function section(id: number, body: number[]): number[] {
  return [id, ...uleb(body.length), ...body];
}

function vec(items: number[][]): number[] {
  return [...uleb(items.length), ...items.flat()];
}

function name(s: string): number[] {
  return [...uleb(s.length), ...Buffer.from(s, 'latin1')];
}

// Instructions used below (SIMD ones are 0xfd + opcode).
const get = (i: number): number[] => [0x20, ...uleb(i)];
const set = (i: number): number[] => [0x21, ...uleb(i)];
const tee = (i: number): number[] => [0x22, ...uleb(i)];
const i32c = (v: number): number[] => [0x41, ...sleb(v)];
const simd = (op: number): number[] => [0xfd, ...uleb(op)];
const v128load = (offset: number): number[] => [...simd(0x00), 0, ...uleb(offset)];
const v128store = (offset: number): number[] => [...simd(0x0b), 0, ...uleb(offset)];
const v128const = (bytes: number[]): number[] => [...simd(0x0c), ...bytes];
const shuffle = (lanes: number[]): number[] => [...simd(0x0d), ...lanes];
const i32x4 = (v: number): number[] => v128const([...Buffer.from(new Uint32Array([v, v, v, v]).buffer)]);
const i8x16 = (v: number): number[] => v128const(new Array<number>(16).fill(v));
const i16x8 = (v: number): number[] => v128const([...Buffer.from(new Uint16Array(8).fill(v).buffer)]);
const store8 = (offset: number): number[] => [0x3a, 0, ...uleb(offset)];
const load8u = (offset: number): number[] => [0x2d, 0, ...uleb(offset)];
const AND = simd(0x4e); // v128.and
const OR = simd(0x50); // v128.or
const ANY_TRUE = simd(0x53); // v128.any_true
const I8_ADD = simd(0x6e); // i8x16.add
const I8_SUB = simd(0x71); // i8x16.sub
const I8_GT_U = simd(0x28); // i8x16.gt_u
const SHL = simd(0xab); // i32x4.shl
const SHR_U = simd(0xad); // i32x4.shr_u
const I8_MAX_U = simd(0x79); // i8x16.max_u
const I16_SHL = simd(0x8b); // i16x8.shl
const I16_SHR_U = simd(0x8d); // i16x8.shr_u
const DOT = simd(0xba); // i32x4.dot_i16x8_s
const I32_ADD = [0x6a];
const I32_SUB = [0x6b];
const I32_NE = [0x47];
const I32_GT_U = [0x4b];
const I32_EQZ = [0x45];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const BR = [0x0c];
const BR_IF = [0x0d];

// (x op n) & mask on each 32-bit lane, x being the v128 in local `x`.
const shiftMask = (x: number, op: number[], n: number, mask: number): number[] => [...get(x), ...i32c(n), ...op, ...i32x4(mask), ...AND];

/**
 * enc(src, lines, dst). Per line: 'M', then 4 steps of 12 bytes -> 16 characters (the 4th step
 * stores 4 characters too many, overwritten by the '\n' and the next line), then '\n'.
 * A step: each 3 bytes a,b,c become the lane x = a<<16 | b<<8 | c, its four 6-bit values v are
 * moved to the lane's four bytes in order, and each v becomes ((v - 1) & 63) + 0x21: 32 + v,
 * but '`' for 0.
 */
function encodeBody(): number[] {
  const [S, LINES, D, X] = [0, 1, 2, 3];
  const groups = [2, 1, 0, 0, 5, 4, 3, 3, 8, 7, 6, 6, 11, 10, 9, 9];
  const body: number[] = [...BLOCK, ...get(LINES), ...I32_EQZ, ...BR_IF, 0, ...LOOP];
  body.push(...get(D), ...i32c(77), ...store8(0));
  for (let k = 0; k < 4; k++) {
    body.push(...get(D), ...get(S), ...v128load(12 * k), ...tee(X), ...get(X), ...shuffle(groups), ...set(X));
    body.push(...shiftMask(X, SHR_U, 18, 0x3f), ...shiftMask(X, SHR_U, 4, 0x3f00), ...OR);
    body.push(...shiftMask(X, SHL, 10, 0x3f0000), ...OR, ...shiftMask(X, SHL, 24, 0x3f000000), ...OR);
    body.push(...i8x16(0x3f), ...I8_ADD, ...i8x16(0x3f), ...AND, ...i8x16(0x21), ...I8_ADD, ...v128store(1 + 16 * k));
  }
  body.push(...get(D), ...i32c(10), ...store8(61));
  body.push(...get(S), ...i32c(45), ...I32_ADD, ...set(S), ...get(D), ...i32c(62), ...I32_ADD, ...set(D));
  body.push(...get(LINES), ...i32c(1), ...I32_SUB, ...tee(LINES), ...BR_IF, 0, ...END, ...END, ...END);
  return [...vec([[1, V128]]), ...body];
}

/**
 * dec(src, end, dst) -> lines. While a whole line 'M' + 60 characters + '\n' lies before `end`
 * and every character is one of 0x20..0x60: 4 steps of 16 characters -> 12 bytes, the 4th step
 * reading characters 45..60 (it overlaps the 3rd by one group, so no lane is out of the line).
 * A step: t = c - 0x20 (a bad character makes t > 64 unsigned: one max per line finds it),
 * v = t & 63; each 16-bit lane's two values become y = v0<<6 | v1, and i32x4.dot_i16x8_s makes
 * each 32-bit lane y0<<12 | y1, whose bytes 2, 1, 0 are the output.
 */
function decodeBody(): number[] {
  const [S, END_, D, N, T0, X] = [0, 1, 2, 3, 4, 8];
  const out = [2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 0, 0, 0, 0];
  const at = [1, 17, 33, 45]; // characters of the line each step reads
  const body: number[] = [...BLOCK, ...LOOP];
  body.push(...get(S), ...i32c(62), ...I32_ADD, ...get(END_), ...I32_GT_U, ...BR_IF, 1);
  body.push(...get(S), ...load8u(0), ...i32c(77), ...I32_NE, ...BR_IF, 1);
  body.push(...get(S), ...load8u(61), ...i32c(10), ...I32_NE, ...BR_IF, 1);
  for (let k = 0; k < 4; k++) {
    body.push(...get(S), ...v128load(at[k] as number), ...i8x16(0x20), ...I8_SUB, ...tee(T0 + k));
    if (k > 0) body.push(...I8_MAX_U);
  }
  body.push(...i8x16(0x40), ...I8_GT_U, ...ANY_TRUE, ...BR_IF, 1);
  for (let k = 0; k < 4; k++) {
    body.push(...get(D), ...get(T0 + k), ...i8x16(0x3f), ...AND, ...tee(X));
    body.push(...i32c(6), ...I16_SHL, ...i16x8(0x0fc0), ...AND, ...get(X), ...i32c(8), ...I16_SHR_U, ...OR);
    body.push(...i32x4(0x00011000), ...DOT, ...tee(X), ...get(X), ...shuffle(out), ...v128store(((at[k] as number) - 1) / 4 * 3));
  }
  body.push(...get(S), ...i32c(62), ...I32_ADD, ...set(S), ...get(D), ...i32c(45), ...I32_ADD, ...set(D));
  body.push(...get(N), ...i32c(1), ...I32_ADD, ...set(N), ...BR, 0, ...END, ...END, ...get(N), ...END);
  return [...vec([[1, I32], [5, V128]]), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const fn = (body: number[]): number[] => [...uleb(body.length), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 3, I32, I32, I32, 0], [0x60, 3, I32, I32, I32, 1, I32]])),
    ...section(3, vec([[0], [1]])),
    ...section(5, vec([[0x00, 3]])), // 3 pages: input, output, slack
    ...section(7, vec([[...name('enc'), 0, 0], [...name('dec'), 0, 1], [...name('m'), 2, 0]])),
    ...section(10, vec([fn(encodeBody()), fn(decodeBody())])),
  ]);
}

let kernel: UuKernel | null | undefined;

/** The SIMD kernel, compiled on first use; null where this runtime cannot run it. */
export function uuKernel(): UuKernel | null {
  if (kernel !== undefined) return kernel;
  kernel = null;
  try {
    if (typeof WebAssembly !== 'object') return kernel;
    const instance = new WebAssembly.Instance(new WebAssembly.Module(moduleBytes()));
    const ex = instance.exports as { enc: (s: number, n: number, d: number) => void; dec: (s: number, e: number, d: number) => number; m: WebAssembly.Memory };
    const memory = new Uint8Array(ex.m.buffer);
    kernel = {
      memory,
      encode: (lines) => ex.enc(IN, lines, OUT),
      decode: (length) => ex.dec(IN, IN + length, OUT),
    };
  } catch {
    kernel = null; // no SIMD here: the JS loops do all the work
  }
  return kernel;
}
