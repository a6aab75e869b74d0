// Who may connect: the server's own allowlist, checked on the socket's peer address before a
// byte of the request is read (in addition to xinetd's only_from / systemd's IPAddressAllow).
import { Socket } from 'node:net';
import type { Readable } from 'node:stream';
import { addressAllowed } from './cidr.js';

/**
 * The client's address: the socket's own peer address (fd 0 under xinetd and systemd
 * Accept=yes); xinetd's REMOTE_HOST only when stdin is no socket; undefined when neither
 * (a pipe from a local user, not a network client).
 */
function peerAddress(input: Readable, env: NodeJS.ProcessEnv, network = input instanceof Socket): string | undefined {
  // Node gives a pipe on stdin as a net.Socket too: only a real socket (fstat) has a peer. A
  // Unix-domain socket has no peer address (a local process, like a pipe); so has a TCP socket
  // whose peer is already gone (getpeername fails), and then nothing can flow to it anyway.
  if (network && input instanceof Socket) return input.remoteAddress;
  const fromXinetd = env.REMOTE_HOST?.trim();
  return fromXinetd ? fromXinetd : undefined;
}

/** Why this client is refused, or undefined when it may go on. */
export function clientRefusal(input: Readable, env: NodeJS.ProcessEnv, allowed: readonly string[], network?: boolean): string | undefined {
  const address = peerAddress(input, env, network);
  if (address === undefined) return undefined;
  if (addressAllowed(address, allowed)) return undefined;
  return `refused connection from ${address}: not in [server] allowed_clients (${allowed.join(', ')})`;
}
