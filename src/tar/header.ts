// One reader of tar header blocks (ustar and GNU), for the code that walks a tar stream as it
// passes without extracting it (src/tar/walker.ts).

export const TAR_BLOCK = 512;

/** The size field of a header: octal text, or GNU base-256 for large files. */
export function entrySize(h: Buffer): number {
  const field = h.subarray(124, 136);
  if ((field[0] ?? 0) & 0x80) {
    let n = 0;
    for (let i = 1; i < field.length; i++) n = n * 256 + (field[i] ?? 0);
    return n;
  }
  const text = field.toString('latin1').replace(/\0.*$/s, '').trim();
  return text === '' ? 0 : parseInt(text, 8);
}

/** Whether the header's checksum field matches its bytes (the field itself counted as spaces). */
export function checksumOk(h: Buffer): boolean {
  const stored = parseInt(h.subarray(148, 156).toString('latin1').replace(/\0.*$/s, '').trim(), 8);
  let sum = 0;
  for (let i = 0; i < TAR_BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : (h[i] ?? 0);
  return stored === sum;
}

export function isZeroBlock(b: Buffer): boolean {
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

/** The type flag of a header ('0', '5', 'L', ...; '\0' is an old regular file). */
export function entryType(h: Buffer): string {
  return String.fromCharCode(h[156] ?? 0);
}
