// The server's side of "who may connect" inside the protocol: the v2 secure hello, TLS, the
// HMAC challenge-response, and the refusal of clients that cannot authenticate when this
// server requires it. runServer calls withAdmission once and gate.checkHeader once.
import type { TLSSocket } from 'node:tls';
import { ProtocolError, errorMessage } from '../errors.js';
import { tlsEnabled } from '../net/tlsConfig.js';
import { writeAll } from '../protocol/io.js';
import { formatRequestHeader, type RequestHeader } from '../protocol/request.js';
import type { StreamReader } from '../protocol/streamReader.js';
import type { ServerDeps, ServerIo, WireProtocol } from '../server/context.js';
import type { HeaderDeadline } from '../server/headerDeadline.js';
import { loadSecret } from './privateFile.js';
import { readRawLine } from './rawLine.js';
import { channelBinding, endTls, loadTlsMaterial, upgradeServer } from './tlsUpgrade.js';
import { canonical, computeMac, formatServerHello, macMatches, newNonce, NONCE_BYTES, parseClientHello, parseTagged, type Feature, type Transcript } from './wire.js';

export interface RequestGate {
  /** The connection to serve the request on (inside TLS when negotiated). */
  io: ServerIo;
  /** Right after the five header lines: the client's MAC over them, or a refusal. */
  checkHeader(reader: StreamReader, header: RequestHeader, protocol: WireProtocol): Promise<void>;
  /** After the last reply (ends TLS cleanly). */
  finish(): Promise<void>;
}

export class AdmissionRefused extends ProtocolError {}

/** What this server's config requires of every client. */
function requiredFeatures(deps: ServerDeps): Feature[] {
  const f: Feature[] = [];
  if (deps.config.auth.secretFile !== '') f.push('hmac-sha256');
  if (tlsEnabled(deps.config.tls)) f.push('tls');
  return canonical(f);
}

/** A client that sent a plain request: fine unless this server requires more. */
function plainGate(io: ServerIo, required: Feature[]): RequestGate {
  return {
    io,
    finish: () => Promise.resolve(),
    checkHeader: (_reader, _header, protocol) => {
      if (required.length === 0) return Promise.resolve();
      const what = required.join(' and ');
      if (protocol === 'legacy') {
        return Promise.reject(new ProtocolError(`1.8b5 client refused: this server requires ${what} ([auth] secret_file / [tls]), which 1.8b5_palomino cannot do`));
      }
      return Promise.reject(new ProtocolError(`this server requires ${what}: set the same [auth] secret_file / [tls] on the client (it sent a plain request)`));
    },
  };
}

async function refuse(io: ServerIo, message: string): Promise<never> {
  await writeAll(io.output, `ERROR ${message}\n`).catch(() => undefined);
  throw new AdmissionRefused(message);
}

function mismatch(offered: Feature[], required: Feature[]): string | undefined {
  for (const f of required) if (!offered.includes(f)) return `this server requires ${f}: configure ${f === 'tls' ? '[tls]' : '[auth] secret_file'} on the client`;
  for (const f of offered) if (!required.includes(f)) return `the client asks for ${f} but this server has no ${f === 'tls' ? '[tls] cert/key/ca' : '[auth] secret_file'}`;
  return undefined;
}

/**
 * Reads the connection's first line. A secure hello is answered and carried out here; anything
 * else goes back to the request reader untouched.
 */
async function admitConnection(io: ServerIo, deps: ServerDeps): Promise<RequestGate> {
  const required = requiredFeatures(deps);
  const first = await readRawLine(io.input, 256);
  if (first === null) return plainGate(io, required);
  const offered = parseClientHello(first.toString('utf8').replace(/\r?\n$/, ''));
  if (offered === undefined) {
    io.input.unshift(first);
    return plainGate(io, required);
  }
  if (typeof offered === 'string') return refuse(io, offered);
  const wrong = mismatch(offered, required);
  if (wrong) return refuse(io, wrong);
  let secret: Buffer | undefined;
  let material: Awaited<ReturnType<typeof loadTlsMaterial>> | undefined;
  try {
    if (required.includes('hmac-sha256')) secret = await loadSecret(deps.config.auth.secretFile);
    if (required.includes('tls')) material = await loadTlsMaterial(deps.config.tls);
  } catch (err) {
    // The details are for our log, not for whoever connected.
    await writeAll(io.output, 'ERROR the server cannot authenticate (see its log)\n').catch(() => undefined);
    throw new AdmissionRefused(`server misconfigured: ${errorMessage(err)}`);
  }
  const serverNonce = newNonce();
  await writeAll(io.output, formatServerHello(serverNonce, required));
  let conn = io;
  let tlsSocket: TLSSocket | undefined;
  if (material) {
    // TLS takes the socket over: a byte already read past the hello would be lost to it.
    if (io.input.readableLength > 0) return refuse(io, 'data after the hello before TLS');
    tlsSocket = await upgradeServer(io, material);
    conn = { input: tlsSocket, output: tlsSocket };
  }
  const finish = tlsSocket ? () => endTls(tlsSocket) : () => Promise.resolve();
  if (!secret) return { io: conn, finish, checkHeader: () => Promise.resolve() };
  const t = await challenge(conn, serverNonce, required, tlsSocket, secret);
  const key = secret;
  return {
    io: conn,
    finish,
    checkHeader: async (reader, header) => {
      const mac = parseTagged(await reader.readLine(256), 'MAC');
      if (mac === undefined) throw new ProtocolError('authentication failed: no MAC line after the request');
      if (!macMatches(computeMac(key, 'client', t, formatRequestHeader(header)), mac)) {
        throw new ProtocolError('authentication failed: the request MAC does not match (wrong secret, or the request was altered or replayed)');
      }
    },
  };
}

/** Reads the client's nonce and proves first that we hold the secret (the client checks it). */
async function challenge(conn: ServerIo, serverNonce: Buffer, features: Feature[], tlsSocket: TLSSocket | undefined, secret: Buffer): Promise<Transcript> {
  const line = await readRawLine(conn.input, 256);
  const nonceHex = parseTagged(line === null ? null : line.toString('utf8').replace(/\r?\n$/, ''), 'AUTH');
  if (nonceHex === undefined || !new RegExp(`^[0-9a-f]{${NONCE_BYTES * 2}}$`).test(nonceHex)) {
    return refuse(conn, 'expected AUTH <client nonce>');
  }
  const t: Transcript = { serverNonce, clientNonce: Buffer.from(nonceHex, 'hex'), features, binding: tlsSocket ? channelBinding(tlsSocket) : Buffer.alloc(0) };
  await writeAll(conn.output, `AUTH ${computeMac(secret, 'server', t).toString('hex')}\n`);
  return t;
}

/** Admits the connection, serves it, ends it; a refused connection gets one log line. */
export async function withAdmission(io: ServerIo, deps: ServerDeps, deadline: HeaderDeadline, serve: (gate: RequestGate) => Promise<number>): Promise<number> {
  let gate: RequestGate;
  try {
    gate = await admitConnection(io, deps);
  } catch (err) {
    if (deadline.expired()) {
      deps.logger.error(`peer=${deps.peer} version=? action='?' outcome=FAILED failed: ${deadline.message()}`);
      return 1;
    }
    deps.logger.error(`peer=${deps.peer} version=? action='?' outcome=FAILED refused before the request: ${errorMessage(err)}`);
    return 1;
  }
  // The hello and handshake are under the request's header_timeout (runServer's deadline).
  try {
    return await serve(gate);
  } finally {
    await gate.finish();
  }
}
