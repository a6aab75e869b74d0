// Perl's pack("u*", chunk) and its strict inverse: the text inside every 1.8b5 data frame.
// Lines of at most 45 input bytes: a length character (32 + n), 4 characters per 3 bytes
// (32 + each 6-bit value, 0 written as '`'), the last group zero-padded, then '\n'.
import { ProtocolError } from '../errors.js';

const LINE_BYTES = 45;
const BACKTICK = 0x60;
const NEWLINE = 0x0a;

// 6-bit value -> character, as Perl's PL_uuemap: 0 is '`', not ' '.
const ENCODE = Buffer.alloc(64);
for (let v = 0; v < 64; v++) ENCODE[v] = v === 0 ? BACKTICK : 32 + v;

/** Exact length of the text uuencode() makes for n input bytes. */
export function uuencodedLength(n: number): number {
  const full = Math.floor(n / LINE_BYTES);
  const last = n % LINE_BYTES;
  return full * (2 + 60) + (last > 0 ? 2 + 4 * Math.ceil(last / 3) : 0);
}

/** Encodes chunk into target at offset (which must have room); returns the offset after the text. */
export function uuencodeInto(chunk: Buffer, target: Buffer, offset: number): number {
  let o = offset;
  for (let start = 0; start < chunk.length; start += LINE_BYTES) {
    const end = Math.min(start + LINE_BYTES, chunk.length);
    target[o++] = ENCODE[end - start] as number;
    for (let i = start; i < end; i += 3) {
      const a = chunk[i] as number;
      const b = i + 1 < end ? (chunk[i + 1] as number) : 0;
      const c = i + 2 < end ? (chunk[i + 2] as number) : 0;
      target[o++] = ENCODE[a >> 2] as number;
      target[o++] = ENCODE[((a & 0x03) << 4) | (b >> 4)] as number;
      target[o++] = ENCODE[((b & 0x0f) << 2) | (c >> 6)] as number;
      target[o++] = ENCODE[c & 0x3f] as number;
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

// Character -> 6-bit value; -1 for anything that is not a uuencode character.
// ' ' is accepted as 0 too (classic uuencode writes it; Perl's unpack reads it).
const DECODE = new Int8Array(256).fill(-1);
for (let ch = 0x20; ch <= 0x60; ch++) DECODE[ch] = (ch - 0x20) & 0x3f;

function sextet(text: Buffer, pos: number): number {
  const v = DECODE[text[pos] as number] as number;
  if (v < 0) throw new ProtocolError(`uudecode: bad character 0x${(text[pos] as number).toString(16)} at offset ${pos}`);
  return v;
}

/**
 * Strict inverse of uuencode(): every line must have a length of 1..45, exactly the number of
 * characters that length needs, and end in '\n'. Anything else is a ProtocolError.
 */
export function uudecode(text: Buffer): Buffer {
  const out = Buffer.allocUnsafe(Math.floor((text.length * 3) / 4));
  let o = 0;
  let pos = 0;
  while (pos < text.length) {
    const n = sextet(text, pos);
    if (n < 1 || n > LINE_BYTES) throw new ProtocolError(`uudecode: bad line length ${n} at offset ${pos}`);
    const groups = Math.ceil(n / 3);
    const eol = pos + 1 + 4 * groups;
    if (eol >= text.length) throw new ProtocolError(`uudecode: line at offset ${pos} is truncated`);
    if (text[eol] !== NEWLINE) throw new ProtocolError(`uudecode: line at offset ${pos} does not end where its length says`);
    let left = n;
    for (let g = pos + 1; g < eol; g += 4) {
      const a = sextet(text, g);
      const b = sextet(text, g + 1);
      const c = sextet(text, g + 2);
      const d = sextet(text, g + 3);
      out[o++] = (a << 2) | (b >> 4);
      if (left > 1) out[o++] = ((b & 0x0f) << 4) | (c >> 2);
      if (left > 2) out[o++] = ((c & 0x03) << 6) | d;
      left -= 3;
    }
    pos = eol + 1;
  }
  return out.subarray(0, o);
}
