import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, readdirSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { ProtocolError } from '../../../src/errors.js';
import { LEGACY_CHUNK, LegacySender, encodeLegacyFrame, readLegacyFrames } from '../../../src/protocol/legacyFrames.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { useUuSimd } from '../../../src/protocol/uuencode.js';
import { Sink, collect, legacyWireOf, pulledReaderOf, readerOf, sourceOf, split, vectorsDir } from './streams.js';

// Missing vectors must fail the run, never skip it: readFileSync throws.
const dir = join(vectorsDir(), 'uuframe');
const names = readdirSync(dir).filter((f) => f.endsWith('.in')).map((f) => f.slice(0, -3)).sort();
const SIZES = [1, 7, LEGACY_CHUNK - 1, LEGACY_CHUNK + 1, Infinity];

function vector(name: string): { input: Buffer; framed: Buffer } {
  return { input: readFileSync(join(dir, `${name}.in`)), framed: readFileSync(join(dir, `${name}.framed`)) };
}

test('the shared vectors are all there and match SHA256SUMS', () => {
  assert.ok(names.length >= 8, `expected the uuframe vectors in ${dir}, found ${names.join(', ')}`);
  const sums = readFileSync(join(dir, 'SHA256SUMS'), 'utf8').trim().split('\n');
  assert.equal(sums.length, names.length * 2);
  for (const line of sums) {
    const m = /^([0-9a-f]{64}) {2}(\S+)$/.exec(line);
    assert.ok(m, `bad SHA256SUMS line ${line}`);
    const actual = createHash('sha256').update(readFileSync(join(dir, m[2] as string))).digest('hex');
    assert.equal(actual, m[1], m[2]);
  }
});

for (const name of names) {
  test(`LegacySender reproduces ${name}.framed byte for byte, whatever the input pieces`, async () => {
    const { input, framed } = vector(name);
    for (const size of SIZES) {
      const sink = new Sink();
      const sender = new LegacySender(sink);
      for (const piece of size === Infinity ? [input] : split(input, size)) await sender.write(piece);
      await sender.end();
      assert.equal(sender.bytes, input.length);
      assert.ok(sink.data.equals(framed), `${name} fed in pieces of ${size}`);
      assert.equal(sink.writableEnded, false, 'end() must not end the output');
    }
  });

  test(`readLegacyFrames decodes ${name}.framed, whatever the delivery pieces`, async () => {
    const { input, framed } = vector(name);
    for (const size of SIZES) {
      const got = await collect(readLegacyFrames(readerOf(framed, size)));
      assert.ok(got.equals(input), `${name} delivered in pieces of ${size}`);
    }
  });
}

test('encodeLegacyFrame is one frame: length prefix + uuencoded text', () => {
  const frame = encodeLegacyFrame(Buffer.from('a'));
  assert.deepEqual(frame, Buffer.from('\x00\x00\x00\x06!80``\n', 'latin1'));
});

test('LegacySender: empty writes, many small writes, and no frame for an empty stream', async () => {
  const sink = new Sink();
  const sender = new LegacySender(sink);
  await sender.write(Buffer.alloc(0));
  await sender.end();
  assert.equal(sink.data.length, 0);
  await assert.rejects(sender.write(Buffer.from('x')), /after end/);
});

test('LegacySender refuses overlapping writes', async () => {
  const sender = new LegacySender(new Sink());
  const first = sender.write(Buffer.alloc(3 * LEGACY_CHUNK));
  await assert.rejects(sender.write(Buffer.alloc(1)), /pending/);
  await first;
});

test('readLegacyFrames: truncated and malformed streams are ProtocolErrors', async () => {
  const { framed } = vector('25000-random');
  const cases: Array<[Buffer, RegExp]> = [
    [framed.subarray(0, 2), /frame header/],
    [framed.subarray(0, 4), /after a frame header/],
    [framed.subarray(0, 100), /inside a frame/],
    [framed.subarray(0, framed.length - 1), /inside a frame/],
    [Buffer.from([0x00, 0x20, 0x00, 0x00]), /absurd/],
    [Buffer.from('\x00\x00\x00\x06!8a``\n', 'latin1'), /bad character/],
    [Buffer.from('\x00\x00\x00\x05!80``', 'latin1'), /truncated/],
  ];
  for (const [wire, re] of cases) {
    for (const size of [1, Infinity]) {
      await assert.rejects(collect(readLegacyFrames(readerOf(wire, size))), (err: unknown) => {
        assert.ok(err instanceof ProtocolError, String(err));
        assert.match(err.message, re);
        return true;
      });
    }
  }
});

test('readLegacyFrames after other reads on the same reader, and a 0-length frame is nothing', async () => {
  const wire = Buffer.concat([Buffer.from('OK tar\n'), Buffer.alloc(4), encodeLegacyFrame(Buffer.from('data'))]);
  const r = new StreamReader(sourceOf(split(wire, 3)));
  assert.equal(await r.readLine(), 'OK tar');
  assert.equal((await collect(readLegacyFrames(r))).toString(), 'data');
});

for (const simd of [true, false]) {
  test(`readLegacyFrames decodes the frames that have already arrived into one buffer (${simd ? 'SIMD kernel, whole frames' : 'JS loops'})`, async () => {
    useUuSimd(simd);
    try {
      const data = randomBytes(20 * LEGACY_CHUNK + 5);
      const wire = await legacyWireOf(data);
      const all: Buffer[] = [];
      for await (const part of readLegacyFrames(readerOf(wire))) all.push(part);
      // The kernel takes the frames that fit its 160 KiB of input (11 of 14116 bytes); the JS
      // loops fill 64 KiB buffers (6 frames).
      const per = simd ? 11 : 6;
      const want = [];
      for (let left = 20; left > 0; left -= per) want.push(Math.min(per, left) * LEGACY_CHUNK);
      want[want.length - 1] = (want[want.length - 1] as number) + 5;
      assert.deepEqual(all.map((b) => b.length), want);
      assert.ok(Buffer.concat(all).equals(data));
      const trickled: Buffer[] = [];
      for await (const part of readLegacyFrames(pulledReaderOf(wire, 1000))) trickled.push(part);
      assert.ok(trickled.length >= 20, 'never waits for more frames to fill a buffer');
      assert.ok(Buffer.concat(trickled).equals(data));
    } finally {
      useUuSimd(true);
    }
  });
}

for (const simd of [true, false]) {
  test(`readLegacyFrames with reuseBuffer decodes every frame into one buffer, for any length of stream (${simd ? 'SIMD kernel' : 'JS loops'})`, async () => {
    useUuSimd(simd);
    try {
      const data = randomBytes(60 * LEGACY_CHUNK + 77);
      const wire = await legacyWireOf(data);
      for (const size of [1000, Infinity]) {
        const memories = new Set<ArrayBufferLike>();
        const copies: Buffer[] = [];
        const reader = size === Infinity ? readerOf(wire) : pulledReaderOf(wire, size);
        for await (const part of readLegacyFrames(reader, { reuseBuffer: true })) {
          memories.add(part.buffer);
          copies.push(Buffer.from(part)); // valid until the next step only
        }
        assert.ok(copies.length > 1, 'several yields');
        assert.equal(memories.size, 1, `one buffer for all ${copies.length} yields (pieces of ${size})`);
        assert.ok(Buffer.concat(copies).equals(data), `decoded as sent (pieces of ${size})`);
      }
    } finally {
      useUuSimd(true);
    }
  });
}

test('readLegacyFrames yields the good frames before a bad one, then fails', async () => {
  const data = randomBytes(5 * LEGACY_CHUNK);
  const sink = new Sink();
  const sender = new LegacySender(sink);
  await sender.write(data);
  const bad = sink.data;
  bad[2 * (4 + 14112) + 4 + 1] = 0x61; // first data character of the third frame
  const got: Buffer[] = [];
  await assert.rejects(async () => {
    for await (const part of readLegacyFrames(readerOf(bad))) got.push(part);
  }, /bad character 0x61 at offset 1$/);
  assert.ok(Buffer.concat(got).equals(data.subarray(0, 2 * LEGACY_CHUNK)));
});

test('LegacySender.send (synchronous) puts the same bytes on the wire as write(), however the input is cut', async () => {
  const data = randomBytes(7 * LEGACY_CHUNK + 4321);
  const viaWrite = new Sink();
  const w = new LegacySender(viaWrite);
  await w.write(data);
  await w.end();
  for (const cut of [1, 999, LEGACY_CHUNK, LEGACY_CHUNK + 1, 65536]) {
    const viaSend = new Sink();
    const s = new LegacySender(viaSend);
    for (const piece of split(data, cut)) assert.equal(typeof s.send(piece), 'boolean');
    await s.end();
    assert.ok(viaSend.data.equals(viaWrite.data), `pieces of ${cut}`);
    assert.equal(s.bytes, data.length);
  }
});

test('LegacySender over a real socket (buffers reused after the write callback): the same bytes as into a Sink, also when writes pile up', async () => {
  const data = randomBytes(800 * LEGACY_CHUNK + 777); // 8 MB: more than the kernel buffers hold
  const expected = new Sink();
  const reference = new LegacySender(expected);
  await reference.write(data);
  await reference.end();
  for (const mode of ['send, never waiting for drain', 'write, awaited'] as const) {
    const server = createServer();
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    const accepted = once(server, 'connection');
    const out = connect(port, '127.0.0.1');
    await once(out, 'connect');
    const [input] = (await accepted) as [Socket];
    const got: Buffer[] = [];
    const collect = async (): Promise<void> => {
      for await (const chunk of input) got.push(chunk as Buffer);
    };
    const sender = new LegacySender(out);
    let received: Promise<void>;
    if (mode === 'write, awaited') {
      received = collect();
      for (const piece of split(data, 3 * LEGACY_CHUNK + 5)) await sender.write(piece);
    } else {
      // Nothing is read until every frame has been handed over: the writes queue up in `out`.
      for (const piece of split(data, 3 * LEGACY_CHUNK + 5)) sender.send(piece);
      received = collect();
    }
    await sender.end();
    out.end();
    await received;
    server.close();
    assert.ok(Buffer.concat(got).equals(expected.data), mode);
  }
});
