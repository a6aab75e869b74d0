import { ProtocolError } from '../errors.js';
import type { StreamReader } from '../protocol/streamReader.js';
import { validateLine, type RequestHeader } from '../protocol/request.js';
import { LEGACY_VERSION, STOCK_VERSION, V21_VERSION, V22_VERSION, V2_FAMILY, V2_VERSION } from '../protocol/versions.js';
import type { WireProtocol } from './context.js';
import { MAX_HEADER_LINE, MAX_VERSION_LINE } from './limits.js';

// The one reader of the five request lines: the server uses it, the tests test it.

/** [server] max_v2_version's values. */
const BY_NUMBER = { '2.0': V2_VERSION, '2.1': V21_VERSION, '2.2': V22_VERSION } as const;

/**
 * Versions this server answers, most capable first. `maxV2` ([server] max_v2_version) below 2.2
 * answers as that older server did: it hangs up on a newer request.
 */
export function acceptedVersions(acceptLegacy: boolean, maxV2: keyof typeof BY_NUMBER = '2.2'): string[] {
  const v2 = V2_FAMILY.slice(V2_FAMILY.indexOf(BY_NUMBER[maxV2]));
  return acceptLegacy ? [...v2, LEGACY_VERSION] : v2;
}

// A 2.2 encoding token as a client may send it (compression.ts tells the known ones apart).
const ENCODING_TOKEN = /^[a-z0-9][a-z0-9:._-]{0,31}$/;

/** The version and (2.2) the encodings offered after it on the line; undefined for a line that has other tokens. */
function splitVersionLine(line: string): { version: string; encodings: string[] } | undefined {
  const [version = '', ...encodings] = line.split(' ');
  if (encodings.length === 0) return { version, encodings };
  if (version !== V22_VERSION || !encodings.every((t) => ENCODING_TOKEN.test(t))) return undefined;
  return { version, encodings };
}

/** The version line as sent (the encodings kept: an authenticated header's MAC covers them). */
async function readAcceptedVersion(reader: StreamReader, accepted: readonly string[]): Promise<{ version: string; encodings: string[] }> {
  const line = await reader.readLine(MAX_VERSION_LINE);
  if (line === null) throw new ProtocolError('client closed the connection before sending a request');
  const split = splitVersionLine(line);
  if (split && accepted.includes(split.version)) return split;
  const printable = JSON.stringify(line.slice(0, 80));
  const hint = line === STOCK_VERSION ? " (stock ZRM's socket-copy.pl: configure copy-plugin=socket-copy.palomino.pl)" : '';
  throw new VersionRefused(`unsupported protocol version ${printable}${hint}; this server speaks ${accepted.join(', ')}`);
}

const protocolOf = (version: string): WireProtocol => (V2_FAMILY.includes(version) ? 'v2' : 'legacy');

export class VersionRefused extends ProtocolError {}

/**
 * Reads the version line alone first, so a v2 client can be told why the rest was refused
 * (a 1.8b5 client can only be hung up on, as the old server did).
 */
export async function readVersion(reader: StreamReader, accepted: readonly string[]): Promise<WireProtocol> {
  return protocolOf((await readAcceptedVersion(reader, accepted)).version);
}

export async function readRestOfHeader(reader: StreamReader, version: string, encodings: readonly string[] = []): Promise<RequestHeader> {
  const names = ['action', 'params', 'tmpdir', 'binpath'] as const;
  const values: string[] = [];
  for (const name of names) {
    const line = await reader.readLine(MAX_HEADER_LINE);
    if (line === null) throw new ProtocolError(`request ended before its ${name} line`);
    validateLine(line, name);
    values.push(line);
  }
  const [action = '', params = '', tmpdir = '', binpath = ''] = values;
  return { version, ...(encodings.length > 0 ? { encodings } : {}), action, params, tmpdir, binpath };
}

/**
 * The whole header. `onVersion` learns the protocol as soon as the version line is accepted,
 * so that an error in a later line can still be answered the way that protocol expects.
 */
export async function readRequestHeader(
  reader: StreamReader,
  accepted: readonly string[],
  onVersion: (protocol: WireProtocol) => void = () => undefined,
): Promise<RequestHeader> {
  const { version, encodings } = await readAcceptedVersion(reader, accepted);
  onVersion(protocolOf(version));
  return readRestOfHeader(reader, version, encodings);
}
