// Plain coders written straight from the formats, to hold the fast ones to: uuencode (Perl's
// pack("u*") and its strict inverse) and the 1.8b5 frames around it.

// Perl's pack("u*"): lines of up to 45 bytes, a length character, 4 characters per 3 bytes.
export function referenceEncode(data: Buffer): Buffer {
  const out: number[] = [];
  const ch = (v: number): number => (v === 0 ? 0x60 : 0x20 + v);
  for (let start = 0; start < data.length; start += 45) {
    const line = data.subarray(start, Math.min(start + 45, data.length));
    out.push(ch(line.length));
    for (let i = 0; i < line.length; i += 3) {
      const a = line[i] ?? 0;
      const b = line[i + 1] ?? 0;
      const c = line[i + 2] ?? 0;
      out.push(ch(a >> 2), ch(((a & 3) << 4) | (b >> 4)), ch(((b & 15) << 2) | (c >> 6)), ch(c & 63));
    }
    out.push(0x0a);
  }
  return Buffer.from(out);
}

// Strict inverse: null where any line is not exactly what a length of 1..45 needs.
export function referenceDecode(text: Buffer): Buffer | null {
  const out: number[] = [];
  const val = (c: number | undefined): number => (c !== undefined && c >= 0x20 && c <= 0x60 ? (c - 0x20) & 63 : -1);
  let pos = 0;
  while (pos < text.length) {
    const n = val(text[pos]);
    if (n < 1 || n > 45) return null;
    const groups = Math.ceil(n / 3);
    if (text[pos + 1 + 4 * groups] !== 0x0a) return null;
    const bytes: number[] = [];
    for (let g = 0; g < groups; g++) {
      const v = [1, 2, 3, 4].map((i) => val(text[pos + 4 * g + i]));
      if (v.some((x) => x < 0)) return null;
      const [a, b, c, d] = v as [number, number, number, number];
      bytes.push((a << 2) | (b >> 4), ((b & 15) << 4) | (c >> 2), ((c & 3) << 6) | d);
    }
    out.push(...bytes.slice(0, n));
    pos += 2 + 4 * groups;
  }
  return Buffer.from(out);
}

/** A 1.8b5 stream of the given chunks: each a 4-byte big-endian length and its uuencoded text. */
export function referenceFrames(chunks: Buffer[]): Buffer {
  return Buffer.concat(chunks.map((chunk) => {
    const text = referenceEncode(chunk);
    const header = Buffer.alloc(4);
    header.writeUInt32BE(text.length);
    return Buffer.concat([header, text]);
  }));
}

/** The bytes of a 1.8b5 stream; null if it is cut or any frame is not exactly uuencoded lines. */
export function referenceUnframe(wire: Buffer): Buffer | null {
  const out: Buffer[] = [];
  for (let pos = 0; pos < wire.length; ) {
    if (pos + 4 > wire.length) return null;
    const length = wire.readUInt32BE(pos);
    if (length > 1024 * 1024 || pos + 4 + length > wire.length) return null;
    const data = referenceDecode(wire.subarray(pos + 4, pos + 4 + length));
    if (data === null) return null;
    out.push(data);
    pos += 4 + length;
  }
  return Buffer.concat(out);
}
