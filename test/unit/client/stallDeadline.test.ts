import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { once } from 'node:events';
import { withStallDeadline } from '../../../src/client/stallDeadline.js';

// [client] stall_timeout: counts only once data flows (a 1.8b5 server stages the whole backup
// first), and then fails a stream whose server went quiet with the socket still open.

async function pair(serve: (s: Socket) => Promise<void>): Promise<Socket> {
  const server = createServer((s) => void serve(s).finally(() => server.close()));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  const client = connect({ host: '127.0.0.1', port });
  await once(client, 'connect');
  return client;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The client's frames: each chunk the socket gives, until it ends or is destroyed. */
async function* chunks(s: Socket): AsyncGenerator<Buffer> {
  for await (const c of s) yield c as Buffer;
}

test('stall deadline: a long silence before the first byte is not a stall', async () => {
  const client = await pair(async (s) => {
    await sleep(1500);
    s.end('all of it');
  });
  let got = '';
  for await (const c of withStallDeadline(chunks(client), client, 'here', 1)) got += c.toString();
  assert.equal(got, 'all of it');
});

test('stall deadline: a server that stops mid-stream with the socket open fails the stream, naming stall_timeout', async () => {
  const client = await pair(async (s) => {
    s.write('first part');
    await sleep(3000);
    s.destroy();
  });
  await assert.rejects(
    (async () => {
      for await (const c of withStallDeadline(chunks(client), client, '127.0.0.1:1', 1)) void c;
    })(),
    /the server stalled: no data from 127\.0\.0\.1:1 for 1 s mid-stream \(\[client\] stall_timeout\)/,
  );
});

test('stall deadline: a v2 stream is watched from its greeting on, before any frame', async () => {
  const client = await pair(async (s) => {
    await sleep(3000);
    s.destroy();
  });
  await assert.rejects(
    (async () => {
      for await (const c of withStallDeadline(chunks(client), client, 'db:25300', 1, true)) void c;
    })(),
    /the server stalled: no data from db:25300 for 1 s/,
  );
});
