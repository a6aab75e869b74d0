// The five request lines every connection starts with: version, action, params, tmpdir, binpath.
import { ProtocolError } from '../errors.js';
import type { StreamReader } from './streamReader.js';
import { STOCK_VERSION } from './versions.js';

export interface RequestHeader {
  version: string;
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

function versionError(version: string, accepted: readonly string[]): ProtocolError {
  const expected = accepted.map((v) => `'${v}'`).join(' or ');
  let message = `unsupported protocol version ${quote(version)}; expected ${expected}`;
  if (version === STOCK_VERSION) {
    message +=
      ". '1.8' is stock MySQL ZRM's socket-copy.pl: this is the innobackupex socket server, so point the backup" +
      " set's copy-plugin at socket-copy.palomino.pl (or this package's socket-copy)";
  }
  return new ProtocolError(message);
}

/** Reads and checks the five header lines. */
export async function readRequestHeader(
  reader: StreamReader,
  acceptedVersions: readonly string[],
): Promise<RequestHeader> {
  const values: string[] = [];
  for (const field of FIELDS) {
    const line = await reader.readLine(65536);
    if (line === null) {
      throw new ProtocolError(
        values.length === 0
          ? 'connection closed before the request'
          : `connection closed after ${values.length} of 5 request lines (missing ${field})`,
      );
    }
    if (field === 'version' && !acceptedVersions.includes(line)) throw versionError(line, acceptedVersions);
    validateLine(line, field);
    values.push(line);
  }
  const [version, action, params, tmpdir, binpath] = values as [string, string, string, string, string];
  return { version, action, params, tmpdir, binpath };
}

/** The five lines, each ending in '\n'. A field holding '\n' would shift the lines: refused. */
export function formatRequestHeader(h: RequestHeader): string {
  let out = '';
  for (const field of FIELDS) {
    const value = h[field];
    if (value.includes('\n')) throw new ProtocolError(`request ${field} must be one line: ${quote(value)}`);
    out += `${value}\n`;
  }
  return out;
}
