// The client's side of the v2 secure hello: TLS if configured, then the HMAC
// challenge-response, then the request with its MAC. Never falls back to 1.8b5: a client that
// was told to authenticate talks only to a server that can prove it holds the secret.
import type { Socket } from 'node:net';
import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError, ProtocolError } from '../errors.js';
import { tlsEnabled } from '../net/tlsConfig.js';
import { writeAll } from '../protocol/io.js';
import { formatRequestHeader } from '../protocol/request.js';
import { StreamReader } from '../protocol/streamReader.js';
import { V2_VERSION } from '../protocol/versions.js';
import type { Conversation, VersionAsk } from '../client/connection.js';
import { v2Conversation } from '../client/okLine.js';
import type { Remote } from '../client/context.js';
import { loadSecret } from './privateFile.js';
import { readRawLine } from './rawLine.js';
import { channelBinding, loadTlsMaterial, upgradeClient } from './tlsUpgrade.js';
import { canonical, computeMac, formatClientHello, macMatches, newNonce, parseServerHello, parseTagged, type Feature, type Transcript } from './wire.js';

export type PeerSecurity = Pick<AppConfig, 'auth' | 'tls'>;

export function securityConfigured(s: PeerSecurity | undefined): s is PeerSecurity {
  return s !== undefined && (s.auth.secretFile !== '' || tlsEnabled(s.tls));
}

type OpenSocket = (host: string, port: number, timeoutSeconds: number) => Promise<Socket>;

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));
const lineText = (b: Buffer | null): string | null => (b === null ? null : b.toString('utf8').replace(/\r?\n$/, ''));

/** Sends the hello; the server's answer, or null when it hung up without a word. */
async function hello(socket: Socket, features: Feature[]): Promise<string | null> {
  await writeAll(socket, formatClientHello(features));
  return lineText(await readRawLine(socket, 64 * 1024));
}

/**
 * The hello always names 2.0 (a 2.0 server knows no other); `ask` is the request's version line
 * inside it (2.2: with the encodings, under the request's MAC). Resolves to null only when a
 * server hangs up on a version newer than 2.0.
 */
export async function openSecureRequest(
  remote: Remote,
  action: string,
  params: string,
  settings: AppConfig['client'],
  security: PeerSecurity,
  openSocket: OpenSocket,
  ask: VersionAsk = { version: V2_VERSION },
): Promise<Conversation | null> {
  const where = `${remote.host}:${remote.port}`;
  if (settings.protocol === 'legacy') {
    throw new ExitError('[client] protocol = legacy cannot authenticate: use auto or v2 with [auth] / [tls]', ExitCode.config);
  }
  const secret = security.auth.secretFile !== '' ? await loadSecret(security.auth.secretFile) : undefined;
  const material = tlsEnabled(security.tls) ? await loadTlsMaterial(security.tls) : undefined;
  const features = canonical([...(secret ? (['hmac-sha256'] as const) : []), ...(material ? (['tls'] as const) : [])]);
  let socket: Socket | undefined;
  let answer: string | null = null;
  // xinetd (instances = 1) hangs up like an old server while the last server still exits.
  for (let attempt = 0; attempt < 2 && answer === null; attempt++) {
    if (attempt > 0) await pause(500);
    socket?.destroy();
    socket = await openSocket(remote.host, remote.port, settings.connectTimeout);
    socket.on('error', () => undefined);
    socket.setTimeout(settings.idleTimeout * 1000, () => socket?.destroy(new Error(`no data from ${remote.host} for ${settings.idleTimeout}s`)));
    answer = await hello(socket, features).catch((err: unknown) => {
      if (err instanceof ProtocolError) return null;
      throw err;
    });
  }
  const raw = socket as Socket;
  const fail = (message: string): never => {
    raw.destroy();
    throw new ExitError(`${where}: ${message}`);
  };
  if (answer === null) return fail(`hung up on our authenticated hello: a 1.8b5 server, or one too old for [auth] / [tls] (this client never falls back to an unauthenticated protocol)`);
  if (answer.startsWith('ERROR')) return fail(answer.slice(5).trim());
  const agreed = parseServerHello(answer);
  if (!agreed || agreed.features.join(' ') !== features.join(' ')) return fail(`unexpected answer to our hello '${answer.slice(0, 80)}'`);
  let conn: Socket = raw;
  let binding: Buffer = Buffer.alloc(0);
  if (material) {
    const tlsSocket = await upgradeClient(raw, remote.host, material, security.tls.serverName);
    tlsSocket.on('error', () => undefined);
    binding = channelBinding(tlsSocket);
    conn = tlsSocket;
  }
  const header = formatRequestHeader({ ...ask, action, params, tmpdir: remote.tmpdir, binpath: remote.binpath });
  if (secret) {
    const t: Transcript = { serverNonce: agreed.serverNonce, clientNonce: newNonce(), features, binding };
    await writeAll(conn, `AUTH ${t.clientNonce.toString('hex')}\n`);
    const proof = parseTagged(lineText(await readRawLine(conn, 256).catch(() => null)), 'AUTH');
    if (proof === undefined || !macMatches(computeMac(secret, 'server', t), proof)) {
      conn.destroy();
      return fail('the server did not prove it holds the shared secret (a different [auth] secret_file, or not the real server)');
    }
    await writeAll(conn, `${header}MAC ${computeMac(secret, 'client', t, header).toString('hex')}\n`);
  } else {
    await writeAll(conn, header);
  }
  const reader = new StreamReader(conn);
  const reply = await reader.readLine(64 * 1024).catch(() => null);
  if (reply === null) {
    conn.destroy();
    // An older server hangs up on a newer header: the caller asks again in the next older version.
    if (ask.version !== V2_VERSION) return null;
    return fail('closed the connection without answering our request');
  }
  if (reply.startsWith('OK')) return v2Conversation(ask.version, conn, reader, reply.slice(2).trim());
  conn.destroy();
  return fail(reply.startsWith('ERROR') ? reply.slice(5).trim() : `unexpected answer '${reply.slice(0, 80)}'`);
}
