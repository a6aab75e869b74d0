import { isAbsolute } from 'node:path';

// Readers of one setting's text. Each returns the value or throws a message that completes
// "<key> ..." (e.g. "must be a whole number, got 'x'"); the caller adds file, line and section.

export type ValueReader<T> = (text: string) => T;

export class ValueError extends Error {}

export const text: ValueReader<string> = (s) => s;

export function whole(min: number, max: number): ValueReader<number> {
  return (s) => {
    if (!/^\d+$/.test(s)) throw new ValueError(`must be a whole number, got '${s}'`);
    const n = Number(s);
    if (n < min || n > max) throw new ValueError(`must be between ${min} and ${max}`);
    return n;
  };
}

/** Empty means "not set" (undefined). */
export function optional<T>(read: ValueReader<T>): ValueReader<T | undefined> {
  return (s) => (s === '' ? undefined : read(s));
}

export const bool: ValueReader<boolean> = (s) => {
  const v = s.toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(v)) return true;
  if (['false', 'no', '0', 'off'].includes(v)) return false;
  throw new ValueError(`must be true or false, got '${s}'`);
};

/** An absolute path; with `emptyAllowed`, '' too (meaning "not set"). */
export function path(emptyAllowed: boolean): ValueReader<string> {
  return (s) => {
    if (s === '' && emptyAllowed) return s;
    if (!isAbsolute(s)) throw new ValueError(`must be an absolute path, got '${s}'`);
    return s;
  };
}

export function oneOf<T extends string>(allowed: readonly T[]): ValueReader<T> {
  return (s) => {
    if (!(allowed as readonly string[]).includes(s)) throw new ValueError(`must be one of ${allowed.join(', ')}, got '${s}'`);
    return s as T;
  };
}

/** Whitespace separated words (no shell, no quoting). */
export const words: ValueReader<string[]> = (s) => s.split(/\s+/).filter((w) => w !== '');

/** Absolute paths separated by spaces, commas or colons; at least one. */
export const pathList: ValueReader<string[]> = (s) => {
  const list = s.split(/[\s,:]+/).filter((r) => r !== '');
  for (const r of list) if (!isAbsolute(r)) throw new ValueError(`entry '${r}' is not absolute`);
  if (list.length === 0) throw new ValueError('is empty');
  return list;
};
