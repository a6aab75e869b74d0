// Who may connect: the server's own allowlist, checked on the socket's peer address before a
// byte of the request is read (in addition to xinetd's only_from / systemd's IPAddressAllow).
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { addressAllowed } from './cidr.js';

/** What a TCP socket says of its own end: an IP family when it is one, even with its peer gone. */
function isTcp(socket: Socket): boolean {
  const own = socket.address();
  return typeof own === 'object' && 'family' in own && (own.family === 'IPv4' || own.family === 'IPv6');
}

/**
 * The client's address: the socket's own peer address (fd 0 under xinetd and systemd
 * Accept=yes); xinetd's REMOTE_HOST when stdin is no socket, or when the TCP peer is already gone
 * (getpeername fails after a reset, while the request it sent may still be queued to be read);
 * null for such a peer with nothing to go by; undefined for a local process (a pipe or a
 * Unix-domain socket), which is no network client.
 */
function peerAddress(input: Readable, env: NodeJS.ProcessEnv, network = input instanceof Socket): string | null | undefined {
  // Node gives a pipe on stdin as a net.Socket too: only a real socket (fstat) has a peer.
  const fromXinetd = env.REMOTE_HOST?.trim() || undefined;
  if (network && input instanceof Socket) {
    const address = input.remoteAddress;
    if (address !== undefined) return address;
    return isTcp(input) ? (fromXinetd ?? null) : undefined;
  }
  return fromXinetd;
}

/** Why this client is refused, or undefined when it may go on. */
export function clientRefusal(input: Readable, env: NodeJS.ProcessEnv, allowed: readonly string[], network?: boolean): string | undefined {
  const address = peerAddress(input, env, network);
  if (address === undefined) return undefined;
  if (address === null) return 'refused connection: the TCP peer address is unknown (the client reset the connection before it was checked)';
  if (addressAllowed(address, allowed)) return undefined;
  return `refused connection from ${address}: not in [server] allowed_clients (${allowed.join(', ')})`;
}
