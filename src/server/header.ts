import { ProtocolError } from '../errors.js';
import type { StreamReader } from '../protocol/streamReader.js';
import { validateLine, type RequestHeader } from '../protocol/request.js';
import { LEGACY_VERSION, STOCK_VERSION, V21_VERSION, V2_FAMILY, V2_VERSION } from '../protocol/versions.js';
import type { WireProtocol } from './context.js';
import { MAX_HEADER_LINE, MAX_VERSION_LINE } from './limits.js';

// The one reader of the five request lines: the server uses it, the tests test it.

/**
 * Versions this server answers, most capable first. `maxV2` ([server] max_v2_version) = 2.0
 * answers as a 2.0 server did: it hangs up on a 2.1 request.
 */
export function acceptedVersions(acceptLegacy: boolean, maxV2: '2.0' | '2.1' = '2.1'): string[] {
  const v2 = maxV2 === '2.0' ? [V2_VERSION] : [V21_VERSION, V2_VERSION];
  return acceptLegacy ? [...v2, LEGACY_VERSION] : v2;
}

/** The version line as sent (2.1 or 2.0 for v2): an authenticated header's MAC covers it. */
async function readAcceptedVersion(reader: StreamReader, accepted: readonly string[]): Promise<string> {
  const version = await reader.readLine(MAX_VERSION_LINE);
  if (version === null) throw new ProtocolError('client closed the connection before sending a request');
  if (accepted.includes(version)) return version;
  const printable = JSON.stringify(version.slice(0, 80));
  const hint = version === STOCK_VERSION ? " (stock ZRM's socket-copy.pl: configure copy-plugin=socket-copy.palomino.pl)" : '';
  throw new VersionRefused(`unsupported protocol version ${printable}${hint}; this server speaks ${accepted.join(', ')}`);
}

const protocolOf = (version: string): WireProtocol => (V2_FAMILY.includes(version) ? 'v2' : 'legacy');

export class VersionRefused extends ProtocolError {}

/**
 * Reads the version line alone first, so a v2 client can be told why the rest was refused
 * (a 1.8b5 client can only be hung up on, as the old server did).
 */
export async function readVersion(reader: StreamReader, accepted: readonly string[]): Promise<WireProtocol> {
  return protocolOf(await readAcceptedVersion(reader, accepted));
}

export async function readRestOfHeader(reader: StreamReader, version: string): Promise<RequestHeader> {
  const names = ['action', 'params', 'tmpdir', 'binpath'] as const;
  const values: string[] = [];
  for (const name of names) {
    const line = await reader.readLine(MAX_HEADER_LINE);
    if (line === null) throw new ProtocolError(`request ended before its ${name} line`);
    validateLine(line, name);
    values.push(line);
  }
  const [action = '', params = '', tmpdir = '', binpath = ''] = values;
  return { version, action, params, tmpdir, binpath };
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
  const version = await readAcceptedVersion(reader, accepted);
  onVersion(protocolOf(version));
  return readRestOfHeader(reader, version);
}
