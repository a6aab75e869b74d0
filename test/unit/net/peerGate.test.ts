import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { clientRefusal } from '../../../src/net/peerGate.js';
import { socketPair } from '../../helpers/socketPair.js';

/** The server's side of a loopback connection whose client sent its request and then reset it. */
async function resetConnection(): Promise<Socket> {
  const [client, accepted] = await socketPair();
  client.write('1.8b5_palomino\ncopy to\n/srv\n/tmp\n/usr/bin\n');
  client.resetAndDestroy();
  await sleep(100); // the RST has arrived: getpeername now fails
  return accepted;
}

test('allowed_clients: a TCP client that reset the connection before it was checked is refused, not taken for a local process', async () => {
  const accepted = await resetConnection();
  try {
    const why = clientRefusal(accepted, {}, ['192.0.2.1'], true);
    assert.ok(why !== undefined, 'a reset TCP peer was let in as "local"');
    assert.match(why, /peer address is unknown/);
    // Under xinetd the peer it accepted is still known from REMOTE_HOST: checked against the list.
    assert.match(clientRefusal(accepted, { REMOTE_HOST: '127.0.0.1' }, ['192.0.2.1'], true) ?? '', /refused connection from 127\.0\.0\.1/);
    assert.equal(clientRefusal(accepted, { REMOTE_HOST: '127.0.0.1' }, ['127.0.0.0/8'], true), undefined);
  } finally {
    accepted.destroy();
  }
});

test('allowed_clients: a live loopback client is checked by its address', async () => {
  const [client, accepted] = await socketPair();
  try {
    assert.equal(clientRefusal(accepted, {}, ['127.0.0.0/8'], true), undefined);
    assert.match(clientRefusal(accepted, {}, ['192.0.2.1'], true) ?? '', /refused connection from 127\.0\.0\.1/);
  } finally {
    client.destroy();
    accepted.destroy();
  }
});
