// Perl's pack("u*", chunk) and its strict inverse: the text inside every 1.8b5 data frame.
// Lines of at most 45 input bytes: a length character (32 + n), 4 characters per 3 bytes
// (32 + each 6-bit value, 0 written as '`'), the last group zero-padded, then '\n'.
//
// Every byte of a legacy stream goes through here twice. Full lines go through the SIMD kernel
// (uuSimd.ts) where the runtime has one; everything else, and every error, through the JS loops
// below, which work on 3-byte / 4-character groups: one 32-bit load or store per group and
// tables of 12-bit values, instead of a load, a bounds check and a store per character.
import { ProtocolError } from '../errors.js';
import { IN, OUT, SIMD_DECODE_LINES, SIMD_ENCODE_LINES, uuKernel, type UuKernel } from './uuSimd.js';

const LINE_BYTES = 45;
const LINE_CHARS = 2 + 60; // length character, 15 groups, '\n'
const FULL_LINE = 32 + LINE_BYTES; // 'M'
const BACKTICK = 0x60;
const NEWLINE = 0x0a;

// 6-bit value -> character, as Perl's PL_uuemap: 0 is '`', not ' '.
const ENCODE = Buffer.alloc(64);
for (let v = 0; v < 64; v++) ENCODE[v] = v === 0 ? BACKTICK : 32 + v;

// 12-bit value -> its two characters, first one in the low byte (stored little-endian).
const ENCODE12 = new Uint16Array(4096);
for (let v = 0; v < 4096; v++) ENCODE12[v] = (ENCODE[v >> 6] as number) | ((ENCODE[v & 63] as number) << 8);

// Character -> 6-bit value; -1 for anything that is not a uuencode character.
// ' ' is accepted as 0 too (classic uuencode writes it; Perl's unpack reads it).
const DECODE = new Int8Array(256).fill(-1);
for (let ch = 0x20; ch <= 0x60; ch++) DECODE[ch] = (ch - 0x20) & 0x3f;

// Two characters (first in the low byte) -> their 12-bit value; -1 if either is not valid.
const DECODE12 = new Int16Array(65536).fill(-1);
for (let a = 0x20; a <= 0x60; a++) {
  for (let b = 0x20; b <= 0x60; b++) DECODE12[a | (b << 8)] = ((DECODE[a] as number) << 6) | (DECODE[b] as number);
}

let simdAllowed = true;

/** Turns the SIMD kernel off (or back on where it exists), so tests can check both paths. */
export function useUuSimd(on: boolean): void {
  simdAllowed = on;
}

/** The SIMD kernel unless turned off (or absent): null means the JS loops. */
export function activeUuKernel(): UuKernel | null {
  return simdAllowed ? uuKernel() : null;
}

function viewOf(buf: Buffer): DataView {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** Exact length of the text uuencode() makes for n input bytes. */
export function uuencodedLength(n: number): number {
  const full = Math.floor(n / LINE_BYTES);
  const last = n % LINE_BYTES;
  return full * LINE_CHARS + (last > 0 ? 2 + 4 * Math.ceil(last / 3) : 0);
}

/** Encodes chunk into target at offset (which must have room); returns the offset after the text. */
export function uuencodeInto(chunk: Buffer, target: Buffer, offset: number): number {
  const src = viewOf(chunk);
  const dst = viewOf(target);
  const n = chunk.length;
  let o = offset;
  let start = 0;
  const k = n >= 4 * LINE_BYTES ? activeUuKernel() : null;
  // Every full line through the kernel's memory, up to its 1456 lines at a time.
  while (k !== null && start + LINE_BYTES <= n) {
    const lines = Math.min(SIMD_ENCODE_LINES, Math.floor((n - start) / LINE_BYTES));
    k.memory.set(chunk.subarray(start, start + lines * LINE_BYTES), IN);
    k.encode(lines);
    target.set(k.memory.subarray(OUT, OUT + lines * LINE_CHARS), o);
    start += lines * LINE_BYTES;
    o += lines * LINE_CHARS;
  }
  // Full lines with at least one byte after them: every 4-byte load stays inside chunk.
  for (; start + LINE_BYTES < n; start += LINE_BYTES) {
    target[o++] = FULL_LINE;
    for (let i = start; i < start + LINE_BYTES; i += 3) {
      const x = src.getUint32(i) >>> 8;
      dst.setUint32(o, (ENCODE12[x >>> 12] as number) | ((ENCODE12[x & 0xfff] as number) << 16), true);
      o += 4;
    }
    target[o++] = NEWLINE;
  }
  // The last line (full or not): bytes one at a time, the last group zero-padded.
  for (; start < n; start += LINE_BYTES) {
    const end = Math.min(start + LINE_BYTES, n);
    target[o++] = ENCODE[end - start] as number;
    for (let i = start; i < end; i += 3) {
      const a = chunk[i] as number;
      const b = i + 1 < end ? (chunk[i + 1] as number) : 0;
      const c = i + 2 < end ? (chunk[i + 2] as number) : 0;
      const x = (a << 16) | (b << 8) | c;
      dst.setUint32(o, (ENCODE12[x >>> 12] as number) | ((ENCODE12[x & 0xfff] as number) << 16), true);
      o += 4;
    }
    target[o++] = NEWLINE;
  }
  return o;
}

export function uuencode(chunk: Buffer): Buffer {
  const out = Buffer.allocUnsafe(uuencodedLength(chunk.length));
  uuencodeInto(chunk, out, 0);
  return out;
}

/** Most bytes uudecode() can make of `textLength` characters: the room uudecodeInto() needs. */
export function uudecodedMaxLength(textLength: number): number {
  return Math.floor((textLength * 3) / 4);
}

// Only called once a line is known to hold a bad character: says which one, and where.
function badCharacter(text: Buffer, from: number, to: number): ProtocolError {
  let pos = from;
  while (pos < to && (DECODE[text[pos] as number] as number) >= 0) pos++;
  return new ProtocolError(`uudecode: bad character 0x${(text[pos] as number).toString(16)} at offset ${pos}`);
}

/**
 * Strict inverse of uuencode(), into target at offset (room for uudecodedMaxLength(text.length)
 * bytes); returns the offset after the decoded bytes. Every line must have a length of 1..45,
 * exactly the number of characters that length needs, and end in '\n'. Anything else is a
 * ProtocolError (bytes of target past offset may have been written by then).
 */
export function uudecodeInto(text: Buffer, target: Buffer, offset: number): number {
  const src = viewOf(text);
  const dst = viewOf(target);
  const len = text.length;
  let o = offset;
  let pos = 0;
  const k = len >= 4 * LINE_CHARS ? activeUuKernel() : null;
  let kernelStop = -1; // where the kernel last stopped at a line it does not take
  while (pos < len) {
    if (k !== null && pos !== kernelStop && len - pos >= LINE_CHARS) {
      // Clean full lines through the kernel; it stops at any other line, which the JS below
      // decodes (a short last line) or rejects with its reason.
      const piece = Math.min(len - pos, SIMD_DECODE_LINES * LINE_CHARS);
      k.memory.set(text.subarray(pos, pos + piece), IN);
      const lines = k.decode(piece);
      target.set(k.memory.subarray(OUT, OUT + lines * LINE_BYTES), o);
      o += lines * LINE_BYTES;
      pos += lines * LINE_CHARS;
      if (lines < Math.floor(piece / LINE_CHARS)) kernelStop = pos;
      continue;
    }
    const n = DECODE[text[pos] as number] as number;
    if (n < 0) throw badCharacter(text, pos, pos + 1);
    if (n < 1 || n > LINE_BYTES) throw new ProtocolError(`uudecode: bad line length ${n} at offset ${pos}`);
    const groups = ((n + 2) / 3) | 0;
    const eol = pos + 1 + 4 * groups;
    if (eol >= len) throw new ProtocolError(`uudecode: line at offset ${pos} is truncated`);
    if (text[eol] !== NEWLINE) throw new ProtocolError(`uudecode: line at offset ${pos} does not end where its length says`);
    // All groups but the last: two at a time (8 characters -> 6 bytes), then one as 3 bytes of
    // a 4-byte store (the 4th is overwritten next). Bad characters are looked for at the end.
    const last = eol - 4;
    let bad = 0;
    let g = pos + 1;
    for (; g + 4 < last; g += 8) {
      const w1 = src.getUint32(g, true);
      const w2 = src.getUint32(g + 4, true);
      const a = DECODE12[w1 & 0xffff] as number;
      const b = DECODE12[w1 >>> 16] as number;
      const c = DECODE12[w2 & 0xffff] as number;
      const d = DECODE12[w2 >>> 16] as number;
      bad |= a | b | c | d;
      dst.setUint32(o, (a << 20) | (b << 8) | (c >>> 4));
      dst.setUint16(o + 4, ((c & 0xf) << 12) | d);
      o += 6;
    }
    for (; g < last; g += 4) {
      const w = src.getUint32(g, true);
      const hi = DECODE12[w & 0xffff] as number;
      const lo = DECODE12[w >>> 16] as number;
      bad |= hi | lo;
      dst.setUint32(o, (hi << 20) | (lo << 8));
      o += 3;
    }
    const w = src.getUint32(last, true);
    const hi = DECODE12[w & 0xffff] as number;
    const lo = DECODE12[w >>> 16] as number;
    if ((bad | hi | lo) < 0) throw badCharacter(text, pos + 1, eol);
    const x = (hi << 12) | lo;
    const tail = n - 3 * (groups - 1);
    target[o++] = x >>> 16;
    if (tail > 1) target[o++] = (x >>> 8) & 0xff;
    if (tail > 2) target[o++] = x & 0xff;
    pos = eol + 1;
  }
  return o;
}

export function uudecode(text: Buffer): Buffer {
  const out = Buffer.allocUnsafe(uudecodedMaxLength(text.length));
  return out.subarray(0, uudecodeInto(text, out, 0));
}
