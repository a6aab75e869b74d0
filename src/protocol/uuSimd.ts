// uuencode/uudecode as a tiny WebAssembly module using 128-bit SIMD: 16 characters per step
// instead of 4. Built here from its opcodes (no toolchain, no binary file), compiled on first use.
// Two kinds of calls: full 45-byte lines ('M' + 60 characters + '\n'), for uuencode.ts; and whole
// 1.8b5 frames (length header, 227 full lines, the short last line), several per call, so a
// frame costs no JS at all (legacyFrames.ts). Returns null where the runtime has no WebAssembly
// SIMD (--jitless, an old CPU): the callers then use their plain JS loops, which also handle
// every error (the kernel only stops before what is not clean, and leaves it to them).

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
  /**
   * Encodes `chunks` (at most 16) 10240-byte chunks from memory[IN..] into 1.8b5 frames (14116
   * bytes each) at memory[at..]: OUT, or one of the slots.
   */
  encodeFrames(chunks: number, at: number): void;
  /**
   * Where a sender may encode frames to hand the memory itself to a socket (no copy out): each
   * slot holds 16 frames and belongs to whoever took it until its write is done.
   */
  slots: readonly number[];
  /**
   * Decodes the whole, clean 1.8b5 frames in memory[IN..IN+length] to OUT: returns the bytes of
   * input they took (0 if the first frame is not whole, is empty, or is not clean), and the
   * bytes they made are then decodedLength().
   */
  decodeFrames(length: number): number;
  decodedLength(): number;
}

export const IN = 0;
/** The input region: 16 chunks of 10240 bytes for encodeFrames, or that much frame text. */
export const IN_BYTES = 16 * 10240;
export const OUT = IN_BYTES + 256; // after the input region and its slack (loads read up to 64 bytes past)
/** A frame of a full 10240-byte chunk: the 4-byte length and 227 full lines and a line of 25 bytes. */
const CHUNK_FRAME = 4 + 227 * 62 + 38;
const OUT_BYTES = 16 * CHUNK_FRAME;
const STATE = OUT + OUT_BYTES + 256; // where decodeFrames leaves its output length
const SLOT_BYTES = OUT_BYTES + 256;
const SLOTS = Array.from({ length: 8 }, (_, i) => STATE + 64 + i * SLOT_BYTES);
// Never grown: memory.grow would detach the buffer that slots handed to sockets are views of.
const PAGES = Math.ceil((STATE + 64 + SLOTS.length * SLOT_BYTES) / 65536);

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
const I8_MAX_U = simd(0x79); // i8x16.max_u
const I16_SHL = simd(0x8b); // i16x8.shl
const I16_SHR_U = simd(0x8d); // i16x8.shr_u
const DOT = simd(0xba); // i32x4.dot_i16x8_s
const Q15MULR = simd(0x82); // i16x8.q15mulr_sat_s
const I16_MUL = simd(0x95); // i16x8.mul
const I32_ADD = [0x6a];
const I32_SHL = [0x74];
const I32_OR = [0x72];
const I32_AND = [0x71];
const I32_DIV_U = [0x6e];
const I32_EQ = [0x46];
const I32_LT_U = [0x49];
const I32_LE_U = [0x4d];
const I32_GE_U = [0x4f];
const I8_SPLAT = simd(0x0f); // i8x16.splat
const I8_LT_U = simd(0x26); // i8x16.lt_u
const IF = [0x04, 0x40];
const ELSE = [0x05];
const store32 = (offset: number): number[] => [0x36, 2, ...uleb(offset)];
const I32_SUB = [0x6b];
const I32_NE = [0x47];
const I32_GT_U = [0x4b];
const I32_EQZ = [0x45];
const BLOCK = [0x02, 0x40];
const LOOP = [0x03, 0x40];
const END = [0x0b];
const BR = [0x0c];
const BR_IF = [0x0d];


// One encode step: 12 bytes at S + from -> 16 characters at D + to. `keep` bytes of the 12 are
// data; the rest are taken as zeros (the padding of a short last line). Each 3 bytes a,b,c go
// to a lane as the 16-bit halves a:b and b:c; there v0 = a:b bits 10-15 and v2 = b:c bits 6-11
// are moved down by q15mulr ((x * m + 2^14) >> 15, exact here, on the halves shifted right once)
// and v1 = a:b bits 4-9 and v3 = b:c bits 0-5 up by a multiply, each to its own byte.
function encodeStep(S: number, D: number, X: number, from: number, to: number, keep = 12): number[] {
  const groups = [1, 0, 2, 1, 4, 3, 5, 4, 7, 6, 8, 7, 10, 9, 11, 10];
  const mask = keep < 12 ? [...v128const(Array.from({ length: 16 }, (_, i) => (i < keep ? 0xff : 0))), ...AND] : [];
  return [
    ...get(D), ...get(S), ...v128load(from), ...mask, ...tee(X), ...get(X), ...shuffle(groups), ...tee(X),
    ...i32x4(0x0fc0fc00), ...AND, ...i32c(1), ...I16_SHR_U, ...i32x4(0x04000040), ...Q15MULR,
    ...get(X), ...i32x4(0x003f03f0), ...AND, ...i32x4(0x01000010), ...I16_MUL, ...OR,
    ...i8x16(0x3f), ...I8_ADD, ...i8x16(0x3f), ...AND, ...i8x16(0x21), ...I8_ADD, ...v128store(to),
  ];
}

// `local += n` for an i32 local.
const addTo = (local: number, n: number): number[] => [...get(local), ...i32c(n), ...I32_ADD, ...set(local)];

// A loop over `count` (a local, > 0) full lines from S to D, counting it down to 0.
function encodeLines(S: number, D: number, count: number, X: number): number[] {
  const body: number[] = [...LOOP, ...get(D), ...i32c(77), ...store8(0)];
  for (let k = 0; k < 4; k++) body.push(...encodeStep(S, D, X, 12 * k, 1 + 16 * k));
  body.push(...get(D), ...i32c(10), ...store8(61), ...addTo(S, 45), ...addTo(D, 62));
  body.push(...get(count), ...i32c(1), ...I32_SUB, ...tee(count), ...BR_IF, 0, ...END);
  return body;
}

/**
 * enc(src, lines, dst). Per line: 'M', then 4 steps of 12 bytes -> 16 characters (the 4th step
 * stores 4 characters too many, overwritten by the '\n' and the next line), then '\n'.
 * A step (encodeStep) puts each group's four 6-bit values v in a lane's four bytes, in order,
 * and each v becomes ((v - 1) & 63) + 0x21: 32 + v, but '`' for 0.
 */
function encodeBody(): number[] {
  const [S, LINES, D, X] = [0, 1, 2, 3];
  const body: number[] = [...BLOCK, ...get(LINES), ...I32_EQZ, ...BR_IF, 0, ...encodeLines(S, D, LINES, X), ...END, ...END];
  return [...vec([[1, V128]]), ...body];
}

/**
 * encf(src, chunks, dst). Per 10240-byte chunk: its frame's length (14112, big-endian), 227 full
 * lines, then the line of the last 25 bytes: '9', 3 steps (the 3rd with 1 byte of data and
 * zeros after it, as the format pads), '\n'. What a step writes past its line is overwritten
 * by the next.
 */
function encodeFramesBody(): number[] {
  const [S, CHUNKS, D, LINES, X] = [0, 1, 2, 3, 4];
  const body: number[] = [...BLOCK, ...get(CHUNKS), ...I32_EQZ, ...BR_IF, 0, ...LOOP];
  body.push(...get(D), ...i32c(0x20370000), ...store32(0), ...addTo(D, 4));
  body.push(...i32c(227), ...set(LINES), ...encodeLines(S, D, LINES, X));
  body.push(...get(D), ...i32c(32 + 25), ...store8(0));
  body.push(...encodeStep(S, D, X, 0, 1), ...encodeStep(S, D, X, 12, 17), ...encodeStep(S, D, X, 24, 33, 1));
  body.push(...get(D), ...i32c(10), ...store8(37), ...addTo(S, 25), ...addTo(D, 38));
  body.push(...get(CHUNKS), ...i32c(1), ...I32_SUB, ...tee(CHUNKS), ...BR_IF, 0, ...END, ...END, ...END);
  return [...vec([[1, I32], [1, V128]]), ...body];
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
  const body: number[] = [...BLOCK, ...LOOP];
  body.push(...get(S), ...i32c(62), ...I32_ADD, ...get(END_), ...I32_GT_U, ...BR_IF, 1);
  body.push(...get(S), ...load8u(0), ...i32c(77), ...I32_NE, ...BR_IF, 1);
  body.push(...get(S), ...load8u(61), ...i32c(10), ...I32_NE, ...BR_IF, 1);
  body.push(...decodeFullLine(S, D, T0, X, 1));
  body.push(...addTo(S, 62), ...addTo(D, 45), ...addTo(N, 1), ...BR, 0, ...END, ...END, ...get(N), ...END);
  return [...vec([[1, I32], [5, V128]]), ...body];
}

// One decode step: the values t = c - 0x20 in local T -> 12 bytes at D + to.
function decodeStep(D: number, T: number, X: number, to: number): number[] {
  const out = [2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12, 0, 0, 0, 0];
  return [
    ...get(D), ...get(T), ...i8x16(0x3f), ...AND, ...tee(X),
    ...i32c(6), ...I16_SHL, ...i16x8(0x0fc0), ...AND, ...get(X), ...i32c(8), ...I16_SHR_U, ...OR,
    ...i32x4(0x00011000), ...DOT, ...tee(X), ...get(X), ...shuffle(out), ...v128store(to),
  ];
}

// A full line at S (its 'M' and '\n' checked) to 45 bytes at D; leaves the block `depth` out
// if a character is bad.
function decodeFullLine(S: number, D: number, T0: number, X: number, depth: number): number[] {
  const at = [1, 17, 33, 45]; // characters of the line each step reads
  const body: number[] = [];
  for (let k = 0; k < 4; k++) {
    body.push(...get(S), ...v128load(at[k] as number), ...i8x16(0x20), ...I8_SUB, ...tee(T0 + k));
    if (k > 0) body.push(...I8_MAX_U);
  }
  body.push(...i8x16(0x40), ...I8_GT_U, ...ANY_TRUE, ...BR_IF, depth);
  for (let k = 0; k < 4; k++) body.push(...decodeStep(D, T0 + k, X, ((at[k] as number) - 1) / 4 * 3));
  return body;
}

/**
 * decf(src, end, dst, dstEnd) -> the input taken. Frame by frame while a whole one lies before
 * `end` and its text fits before dstEnd: each line of it, the full ones as in dec, any other
 * (length n of 1..44 and 4 * ceil(n / 3) characters, '\n' inside the frame) in 4 steps whose
 * lanes past its characters are not checked, its bytes past n overwritten by the next line.
 * Stops before an empty frame or one with any fault, for the JS to deal with; the output length
 * of the frames taken is left at STATE.
 */
function decodeFramesBody(): number[] {
  const [P, E, D, DE] = [0, 1, 2, 3];
  const [F, L, Q, N, G4, EOL, D0] = [4, 5, 6, 7, 8, 9, 10];
  const [T0, X] = [11, 15];
  const be = (i: number): number[] => [...get(P), ...load8u(i), ...i32c(24 - 8 * i), ...I32_SHL];
  const iota = (k: number): number[] => v128const(Array.from({ length: 16 }, (_, i) => 16 * k + i));
  const body: number[] = [...get(D), ...set(D0), ...BLOCK, ...LOOP];
  // $frame (0), $done (1): a whole, non-empty frame with room for its bytes, or stop
  body.push(...get(P), ...i32c(4), ...I32_ADD, ...get(E), ...I32_GT_U, ...BR_IF, 1);
  body.push(...be(0), ...be(1), ...I32_OR, ...be(2), ...I32_OR, ...get(P), ...load8u(3), ...I32_OR, ...tee(L), ...I32_EQZ, ...BR_IF, 1);
  body.push(...get(L), ...get(E), ...get(P), ...I32_SUB, ...i32c(4), ...I32_SUB, ...I32_GT_U, ...BR_IF, 1);
  body.push(...get(L), ...get(DE), ...get(D), ...I32_SUB, ...I32_GT_U, ...BR_IF, 1);
  body.push(...get(P), ...i32c(4), ...I32_ADD, ...tee(Q), ...get(L), ...I32_ADD, ...set(F));
  body.push(...LOOP); // $line (0), $frame (1), $done (2)
  body.push(...get(Q), ...load8u(0), ...i32c(0x20), ...I32_SUB, ...set(N));
  body.push(...get(N), ...i32c(45), ...I32_EQ, ...get(Q), ...i32c(62), ...I32_ADD, ...get(F), ...I32_LE_U, ...I32_AND);
  body.push(...IF); // a full line: $if (0), $line (1), $frame (2), $done (3)
  body.push(...get(Q), ...load8u(61), ...i32c(10), ...I32_NE, ...BR_IF, 3);
  body.push(...decodeFullLine(Q, D, T0, X, 3), ...addTo(Q, 62), ...addTo(D, 45));
  body.push(...ELSE); // any other line
  body.push(...get(N), ...i32c(1), ...I32_SUB, ...i32c(44), ...I32_GT_U, ...BR_IF, 3);
  body.push(...get(N), ...i32c(2), ...I32_ADD, ...i32c(3), ...I32_DIV_U, ...i32c(2), ...I32_SHL, ...set(G4));
  body.push(...get(Q), ...i32c(1), ...I32_ADD, ...get(G4), ...I32_ADD, ...tee(EOL), ...get(F), ...I32_GE_U, ...BR_IF, 3);
  body.push(...get(EOL), ...load8u(0), ...i32c(10), ...I32_NE, ...BR_IF, 3);
  for (let k = 0; k < 4; k++) {
    body.push(...get(Q), ...v128load(1 + 16 * k), ...i8x16(0x20), ...I8_SUB, ...tee(T0 + k), ...i8x16(0x40), ...I8_GT_U);
    body.push(...iota(k), ...get(G4), ...I8_SPLAT, ...I8_LT_U, ...AND);
    if (k > 0) body.push(...OR);
  }
  body.push(...ANY_TRUE, ...BR_IF, 3);
  for (let k = 0; k < 4; k++) body.push(...decodeStep(D, T0 + k, X, 12 * k));
  body.push(...get(D), ...get(N), ...I32_ADD, ...set(D), ...get(EOL), ...i32c(1), ...I32_ADD, ...set(Q));
  body.push(...END); // if
  body.push(...get(Q), ...get(F), ...I32_LT_U, ...BR_IF, 0, ...END); // $line
  body.push(...get(F), ...set(P), ...get(D), ...set(D0), ...BR, 0, ...END, ...END); // $frame, $done
  body.push(...i32c(STATE), ...get(D0), ...store32(0), ...get(P), ...END);
  return [...vec([[7, I32], [5, V128]]), ...body];
}

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const fn = (body: number[]): number[] => [...uleb(body.length), ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, vec([[0x60, 3, I32, I32, I32, 0], [0x60, 3, I32, I32, I32, 1, I32], [0x60, 4, I32, I32, I32, I32, 1, I32]])),
    ...section(3, vec([[0], [1], [0], [2]])),
    ...section(5, vec([[0x00, ...uleb(PAGES)]])), // input, output, their slack, STATE, slots
    ...section(7, vec([
      [...name('enc'), 0, 0], [...name('dec'), 0, 1], [...name('encf'), 0, 2], [...name('decf'), 0, 3], [...name('m'), 2, 0],
    ])),
    ...section(10, vec([fn(encodeBody()), fn(decodeBody()), fn(encodeFramesBody()), fn(decodeFramesBody())])),
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
    const ex = instance.exports as {
      enc: (s: number, n: number, d: number) => void;
      dec: (s: number, e: number, d: number) => number;
      encf: (s: number, n: number, d: number) => void;
      decf: (s: number, e: number, d: number, de: number) => number;
      m: WebAssembly.Memory;
    };
    const memory = new Uint8Array(ex.m.buffer);
    const state = new DataView(ex.m.buffer, STATE, 4);
    kernel = {
      memory,
      encode: (lines) => ex.enc(IN, lines, OUT),
      decode: (length) => ex.dec(IN, IN + length, OUT),
      encodeFrames: (chunks, at) => ex.encf(IN, chunks, at),
      slots: SLOTS,
      decodeFrames: (length) => ex.decf(IN, IN + length, OUT, OUT + OUT_BYTES) - IN,
      decodedLength: () => state.getUint32(0, true) - OUT,
    };
  } catch {
    kernel = null; // no SIMD here: the JS loops do all the work
  }
  return kernel;
}
