import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';

/** Two ends of one loopback TCP connection: what a client and a server hold. */
export async function socketPair(): Promise<[Socket, Socket]> {
  const server = createServer();
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
