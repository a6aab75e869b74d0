import { ValueError } from './values.js';

// Sizes in the config file: a whole number of bytes, or with a binary suffix (K, M, G, T; an
// optional trailing 'iB' or 'B'): "4T", "512GiB", "1048576".

const UNITS: Record<string, bigint> = { '': 1n, k: 1024n, m: 1024n ** 2n, g: 1024n ** 3n, t: 1024n ** 4n, p: 1024n ** 5n };

export function parseByteSize(text: string, min: bigint, max: bigint): bigint {
  const m = /^(\d+)\s*([kmgtp]?)(?:i?b)?$/i.exec(text.trim());
  if (!m) throw new ValueError(`must be a size such as 4T, 512G or a number of bytes, got '${text}'`);
  const n = BigInt(m[1] as string) * (UNITS[(m[2] as string).toLowerCase()] as bigint);
  if (n < min || n > max) throw new ValueError(`must be between ${min} and ${max} bytes, got '${text}'`);
  return n;
}
