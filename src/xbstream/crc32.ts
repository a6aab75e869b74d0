// CRC-32 as ISO 3309 / zlib's crc32(): what xbstream stores for every payload and sparse map.
// Node >= 20.15 / 22.2 has it natively in zlib; Node 18.19 (which we still support) does not,
// so a table-driven version stands in there.
import * as zlib from 'node:zlib';

type Crc32Fn = (data: Uint8Array, previous?: number) => number;

const TABLE: Uint32Array = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** The portable implementation; exported so tests can check it against zlib's. */
export function crc32Portable(data: Uint8Array, previous = 0): number {
  let crc = (previous ^ 0xffffffff) >>> 0;
  for (let i = 0; i < data.length; i++) {
    crc = (TABLE[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// @types/node targets 18, which does not declare zlib.crc32: look it up at run time.
const native = (zlib as unknown as { crc32?: Crc32Fn }).crc32;

export function crc32(data: Buffer, previous = 0): number {
  if (native) return native(data, previous) >>> 0;
  return crc32Portable(data, previous);
}
