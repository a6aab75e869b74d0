// The five request lines every connection starts with: version, action, params, tmpdir, binpath.
// The server reads them in server/header.ts; here are the shared format and character check.
import { ProtocolError } from '../errors.js';

export interface RequestHeader {
  version: string;
  /** 2.2: the encodings the client accepts for a data stream, preferred first; on the version line after the version. */
  encodings?: readonly string[];
  action: string;
  params: string;
  tmpdir: string;
  binpath: string;
}

const FIELDS = ['version', 'action', 'params', 'tmpdir', 'binpath'] as const;

// The 1.8b5 server's set: letters, digits, _, whitespace and - * / " ' . : ; + = ^ $.
// "Whitespace" is the space only here: tab, CR, NUL and other control characters are refused.
const ALLOWED = /^[A-Za-z0-9_ \-*/"'.:;+=^$]*$/;

/** Shows a peer's line in an error message without letting it forge log lines. */
function quote(line: string): string {
  const shown = line.length > 80 ? `${line.slice(0, 80)}...` : line;
  return JSON.stringify(shown);
}

/** ProtocolError unless line holds only the characters the 1.8b5 server accepted. */
export function validateLine(line: string, what: string): void {
  if (ALLOWED.test(line)) return;
  const bad = [...line].find((ch) => !ALLOWED.test(ch)) ?? '';
  throw new ProtocolError(`${what} holds a character that is not allowed (${JSON.stringify(bad)}): ${quote(line)}`);
}

/** The version line: the version, then (2.2) the encodings the client accepts, one space apart. */
function versionLine(h: RequestHeader): string {
  return h.encodings && h.encodings.length > 0 ? [h.version, ...h.encodings].join(' ') : h.version;
}

/** The five lines, each ending in '\n'. A field holding '\n' would shift the lines: refused. */
export function formatRequestHeader(h: RequestHeader): string {
  let out = '';
  for (const field of FIELDS) {
    const value = field === 'version' ? versionLine(h) : h[field];
    if (value.includes('\n')) throw new ProtocolError(`request ${field} must be one line: ${quote(value)}`);
    out += `${value}\n`;
  }
  return out;
}
