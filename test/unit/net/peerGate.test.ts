import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, createServer, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientRefusal } from '../../../src/net/peerGate.js';

/** The server's side of a loopback connection whose client sent its request and then reset it. */
async function resetConnection(): Promise<{ accepted: Socket; close: () => void }> {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const acceptedP = once(server, 'connection');
  const client = connect({ host: '127.0.0.1', port });
  await once(client, 'connect');
  client.write('1.8b5_palomino\ncopy to\n/srv\n/tmp\n/usr/bin\n');
  const [accepted] = (await acceptedP) as [Socket];
  client.resetAndDestroy();
  await sleep(100); // the RST has arrived: getpeername now fails
  return { accepted, close: () => { accepted.destroy(); server.close(); } };
}

test('allowed_clients: a TCP client that reset the connection before it was checked is refused, not taken for a local process', async () => {
  const { accepted, close } = await resetConnection();
  try {
    const why = clientRefusal(accepted, {}, ['192.0.2.1'], true);
    assert.ok(why !== undefined, 'a reset TCP peer was let in as "local"');
    assert.match(why, /peer address is unknown/);
    // Under xinetd the peer it accepted is still known from REMOTE_HOST: checked against the list.
    assert.match(clientRefusal(accepted, { REMOTE_HOST: '127.0.0.1' }, ['192.0.2.1'], true) ?? '', /refused connection from 127\.0\.0\.1/);
    assert.equal(clientRefusal(accepted, { REMOTE_HOST: '127.0.0.1' }, ['127.0.0.0/8'], true), undefined);
  } finally {
    close();
  }
});

test('allowed_clients: a live loopback client is checked by its address', async () => {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const acceptedP = once(server, 'connection');
  const client = connect({ host: '127.0.0.1', port });
  const [accepted] = (await acceptedP) as [Socket];
  try {
    assert.equal(clientRefusal(accepted, {}, ['127.0.0.0/8'], true), undefined);
    assert.match(clientRefusal(accepted, {}, ['192.0.2.1'], true) ?? '', /refused connection from 127\.0\.0\.1/);
  } finally {
    client.destroy();
    accepted.destroy();
    server.close();
  }
});
