import { ValueError } from '../config/values.js';

export interface TlsSettings {
  cert: string;
  key: string;
  ca: string;
  /** The name the server's certificate must carry; empty: the host name the client dialled. */
  serverName: string;
}

/** TLS is all or nothing: a certificate, its key and the CA that signed the other side's. */
export function checkTlsSection(tls: TlsSettings): TlsSettings {
  const set = [tls.cert, tls.key, tls.ca].filter((v) => v !== '').length;
  if (set !== 0 && set !== 3) {
    throw new ValueError('needs cert, key and ca together (or none of them)');
  }
  if (set === 0 && tls.serverName !== '') {
    throw new ValueError('server_name is set but cert, key and ca are not');
  }
  return tls;
}

export function tlsEnabled(tls: TlsSettings): boolean {
  return tls.cert !== '';
}
