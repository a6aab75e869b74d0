import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';

/** A one-connection listener on a free loopback port: its port, and the socket once accepted. */
export async function listenOnce(): Promise<{ port: number; accepted: Promise<Socket> }> {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const accepted = (once(server, 'connection') as Promise<[Socket]>).then(([socket]) => {
    server.close();
    return socket;
  });
  return { port: address.port, accepted };
}
