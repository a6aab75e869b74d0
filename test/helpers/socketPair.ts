import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/**
 * Two ends of one loopback TCP connection: what a client and a server hold. `allowHalfOpen`: the
 * server's end stays open after the client's FIN, as the socket server's does under xinetd.
 */
export async function socketPair(opts: { allowHalfOpen?: boolean } = {}): Promise<[Socket, Socket]> {
  const server = createServer({ allowHalfOpen: opts.allowHalfOpen === true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no address');
  const accepted = once(server, 'connection') as Promise<[Socket]>;
  const a = connect(address.port, '127.0.0.1');
  await once(a, 'connect');
  const [b] = await accepted;
  server.close();
  return [a, b];
}
