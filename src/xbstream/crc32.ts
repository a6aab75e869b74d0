// CRC-32 as ISO 3309 / zlib's crc32(): what xbstream stores for every payload and sparse map.
// Node >= 20.15 / 22.2 has it natively in zlib; Node 18.19 (which we still support) does not,
// so a table-driven version stands in there: slicing-by-8 (eight bytes a step through eight
// tables), several times faster than a byte at a time.
import * as zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array, previous?: number) => number;

// TABLES[k * 256 + b]: the CRC of byte b followed by k zero bytes. Row 0 is the classic table.
const TABLES: Uint32Array = (() => {
  const t = new Uint32Array(8 * 256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  for (let n = 0; n < 256; n++) {
    let c = t[n] as number;
    for (let k = 1; k < 8; k++) {
      c = (t[c & 0xff] as number) ^ (c >>> 8);
      t[k * 256 + n] = c >>> 0;
    }
  }
  return t;
})();

/** The portable implementation; exported so tests can check it against zlib's. */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  const t = TABLES;
  let crc = ~previous;
  let i = 0;
  const fast = data.length - (data.length % 8);
  for (; i < fast; i += 8) {
    const lo = crc ^ ((data[i] as number) | ((data[i + 1] as number) << 8) | ((data[i + 2] as number) << 16) | ((data[i + 3] as number) << 24));
    crc =
      (t[1792 + (lo & 0xff)] as number) ^
      (t[1536 + ((lo >>> 8) & 0xff)] as number) ^
      (t[1280 + ((lo >>> 16) & 0xff)] as number) ^
      (t[1024 + (lo >>> 24)] as number) ^
      (t[768 + (data[i + 4] as number)] as number) ^
      (t[512 + (data[i + 5] as number)] as number) ^
      (t[256 + (data[i + 6] as number)] as number) ^
      (t[data[i + 7] as number] as number);
  }
  for (; i < data.length; i++) crc = (t[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return ~crc >>> 0;
}

// @types/node targets 18, which does not declare zlib.crc32: look it up at run time.
const native = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

export function crc32(data: Buffer, previous = 0): number {
  if (native) return native(data, previous) >>> 0;
  return crc32Portable(data, previous);
}
