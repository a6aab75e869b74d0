// Protocol version strings: the first line of every request.

/** What the 1.8b5_palomino socket-copy client sends and the old server accepted. */
export const LEGACY_VERSION = '1.8b5_palomino';

/** Our own client and server: status line after the header, raw frames, a verified trailer. */
export const V2_VERSION = '2.0_zrm-innobackupex';

/**
 * 2.0 plus `key=value` details after the OK line's word (e.g. `OK xbstream size=123`). A client
 * asks for it with this version line; a 2.0 server hangs up on it and the client asks again in
 * 2.0 (docs/DESIGN.md, "Protocol 2.1").
 */
export const V21_VERSION = '2.1_zrm-innobackupex';

/**
 * 2.1 plus compression in transit: the version line names the encodings the client accepts
 * (`2.2_zrm-innobackupex gzip:1`), and the OK line before a data stream says which one the
 * server chose (`compression=gzip:1`), or nothing for raw bytes (docs/DESIGN.md, "Protocol 2.2").
 */
export const V22_VERSION = '2.2_zrm-innobackupex';

/** Our own versions, newest first: a client steps down this chain when a server hangs up on one. */
export const V2_FAMILY: readonly string[] = [V22_VERSION, V21_VERSION, V2_VERSION];

/** Whether `version` (one of ours) has 2.1's `key=value` details on the OK line. */
export function hasOkDetails(version: string): boolean {
  return version !== V2_VERSION && V2_FAMILY.includes(version);
}

/** What stock ZRM's socket-copy.pl sends; a different protocol that we do not speak. */
export const STOCK_VERSION = '1.8';

/** Splits what follows `OK` in a 2.1 (or later) answer: the word, then `key=value` details. */
export function parseOkDetails(text: string): { word: string; details: Map<string, string> } {
  const tokens = text.split(' ').filter((t) => t !== '');
  const word = tokens[0] !== undefined && !tokens[0].includes('=') ? tokens.shift() ?? '' : '';
  const details = new Map<string, string>();
  for (const token of tokens) {
    const eq = token.indexOf('=');
    // Unknown shapes are skipped, not fatal: later versions may add details of their own.
    if (eq > 0) details.set(token.slice(0, eq), token.slice(eq + 1));
  }
  return { word, details };
}

/** The text after `OK` for a 2.1 (or later) client: the word, then each detail as ` key=value`. */
export function formatOkDetails(word: string, details: Readonly<Record<string, string | number | undefined>>): string {
  const parts = word === '' ? [] : [word];
  for (const [k, v] of Object.entries(details)) {
    if (v === undefined || !/^[a-z][a-z0-9_-]*$/.test(k)) continue;
    const value = String(v);
    if (/\s/.test(value) || value === '') continue;
    parts.push(`${k}=${value}`);
  }
  return parts.join(' ');
}
