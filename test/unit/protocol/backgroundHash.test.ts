import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { StreamSha256 } from '../../../src/protocol/backgroundHash.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { readV2Frames, V2Sender } from '../../../src/protocol/v2Frames.js';
import { Sink, sourceOf, split } from './streams.js';

// The hash on a worker thread must be the hash: same digest as in line for every way of cutting
// the data (pieces larger than its ring, many tiny ones, none at all).

test('StreamSha256 on a thread gives the same digest as createHash, however the data is cut', async () => {
  const data = randomBytes(9 * 1024 * 1024 + 123);
  const want = createHash('sha256').update(data).digest('hex');
  for (const cut of [data.length, 5 * 1024 * 1024, 65536, 1000]) {
    for (const background of [true, false]) {
      const h = new StreamSha256(background, { forceThread: background });
      for (const piece of split(data, cut)) h.update(piece);
      assert.equal(await h.digest(), want, `pieces of ${cut}, background ${background}`);
    }
  }
  const empty = new StreamSha256(true, { forceThread: true });
  assert.equal(await empty.digest(), createHash('sha256').digest('hex'));
});

test('v2 with the hash on threads: a good stream passes, one flipped bit fails the trailer check', async () => {
  const data = randomBytes(6 * 1024 * 1024);
  const sink = new Sink();
  const sender = new V2Sender(sink, { backgroundHash: 'always' });
  for (const piece of split(data, 65536)) assert.equal(typeof sender.send(piece), 'boolean');
  const trailer = await sender.end({ ok: true, exitCode: 0, message: '' });
  assert.equal(trailer.sha256, createHash('sha256').update(data).digest('hex'));
  const wire = sink.data;
  const got: Buffer[] = [];
  for await (const p of readV2Frames(new StreamReader(sourceOf(split(wire, 100_000))), { backgroundHash: 'always' })) got.push(p);
  assert.ok(Buffer.concat(got).equals(data));
  const bad = Buffer.from(wire);
  const at = 45 * (4 + 65536) + 1000; // inside the payload of the 46th frame
  bad.writeUInt8(bad.readUInt8(at) ^ 1, at);
  await assert.rejects(async () => {
    for await (const _ of readV2Frames(new StreamReader(sourceOf(split(bad, 100_000))), { backgroundHash: 'always' })) void _;
  }, /SHA-256 of the received data/);
});
