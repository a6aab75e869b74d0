// TLS inside a v2 connection, after the hello: the server wraps the socket it inherited from
// xinetd/systemd, the client the socket it opened. Both sides verify the other's certificate
// against the configured CA.
import { readFile } from 'node:fs/promises';
import { isIP, Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { X509Certificate } from 'node:crypto';
import { checkServerIdentity, connect, createSecureContext, TLSSocket, type PeerCertificate } from 'node:tls';
import { ExitCode, ExitError, ProtocolError, errorMessage } from '../errors.js';
import type { ServerIo } from '../server/context.js';
import type { TlsSettings } from '../net/tlsConfig.js';
import { readPrivateFile } from './privateFile.js';
import { TLS_EXPORTER_LABEL } from './wire.js';

export interface TlsMaterial {
  cert: Buffer;
  key: Buffer;
  ca: Buffer;
}

export async function loadTlsMaterial(s: TlsSettings): Promise<TlsMaterial> {
  const read = (path: string, what: string) =>
    readFile(path).catch((err: unknown) => {
      throw new ExitError(`${what} ${path}: ${errorMessage(err)}`, ExitCode.config, { cause: err });
    });
  return { cert: await read(s.cert, '[tls] cert'), key: await readPrivateFile(s.key, '[tls] key'), ca: await read(s.ca, '[tls] ca') };
}

/** RFC 5705 keying material of this TLS session: mixed into the MACs, binds them to it. */
export function channelBinding(socket: TLSSocket): Buffer {
  return socket.exportKeyingMaterial(32, TLS_EXPORTER_LABEL, Buffer.alloc(0));
}

/**
 * OpenSSL refuses a handshake without a client certificate, but only a tls.Server's sockets get
 * the verdict on its chain applied (`authorized`): a TLSSocket made by hand must ask for it. The
 * handle's verifyError() is what tls.Server uses; where it is missing, a one-level check.
 */
function clientCertProblem(socket: TLSSocket, ca: Buffer): string | undefined {
  const peer = socket.getPeerX509Certificate();
  if (!peer) return 'no client certificate';
  const handle = (socket as unknown as { _handle?: { verifyError?: () => (Error & { code?: string }) | null } })._handle;
  if (typeof handle?.verifyError === 'function') {
    const err = handle.verifyError();
    return err ? `client certificate ${peer.subject.replace(/\n/g, ', ')} refused: ${err.code ?? err.message}` : undefined;
  }
  const caCert = new X509Certificate(ca);
  if (!peer.checkIssued(caCert) || !peer.verify(caCert.publicKey)) return `client certificate ${peer.subject} is not signed by [tls] ca`;
  const now = Date.now();
  if (now < Date.parse(peer.validFrom) || now > Date.parse(peer.validTo)) return `client certificate ${peer.subject} is not valid now`;
  return undefined;
}

/** Server side: TLS over the connection, a client certificate signed by the CA required. */
export function upgradeServer(io: ServerIo, m: TlsMaterial): Promise<TLSSocket> {
  const under = io.input instanceof Socket ? io.input : Duplex.from({ readable: io.input, writable: io.output });
  const secureContext = createSecureContext({ cert: m.cert, key: m.key, ca: m.ca, minVersion: 'TLSv1.2' });
  const tlsSocket = new TLSSocket(under, { isServer: true, secureContext, requestCert: true, rejectUnauthorized: true });
  return new Promise((resolve, reject) => {
    const fail = (why: string): void => {
      tlsSocket.destroy();
      reject(new ProtocolError(`TLS handshake failed: ${why}`));
    };
    tlsSocket.once('secure', () => {
      tlsSocket.removeListener('error', onError);
      tlsSocket.on('error', () => undefined);
      const problem = clientCertProblem(tlsSocket, m.ca);
      if (problem) return fail(problem);
      resolve(tlsSocket);
    });
    const onError = (err: Error): void => fail(err.message);
    tlsSocket.once('error', onError);
    tlsSocket.once('close', () => fail('connection closed during the handshake'));
  });
}

/** Client side: verifies the server's certificate against the CA and its name. */
export function upgradeClient(socket: Socket, host: string, m: TlsMaterial, serverName: string): Promise<TLSSocket> {
  const name = serverName || host;
  return new Promise((resolve, reject) => {
    const tlsSocket = connect({
      socket,
      cert: m.cert,
      key: m.key,
      ca: m.ca,
      minVersion: 'TLSv1.2',
      rejectUnauthorized: true,
      ...(isIP(name) ? {} : { servername: name }),
      checkServerIdentity: (_host: string, cert: PeerCertificate) => checkServerIdentity(name, cert),
    });
    const onError = (err: Error): void => {
      tlsSocket.destroy();
      reject(new ExitError(`${host}: TLS handshake failed: ${err.message}`));
    };
    tlsSocket.once('error', onError);
    tlsSocket.once('secureConnect', () => {
      tlsSocket.removeListener('error', onError);
      resolve(tlsSocket);
    });
  });
}

/** Ends TLS cleanly (close_notify) and waits until our last bytes are handed on. */
export function endTls(socket: TLSSocket, ms = 10_000): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.writableFinished) return resolve();
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    socket.once('finish', done);
    socket.once('close', done);
    socket.end();
  });
}
