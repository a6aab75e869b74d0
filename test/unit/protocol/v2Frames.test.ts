import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Writable } from 'node:stream';
import { IntegrityError, ProtocolError } from '../../../src/errors.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { V2Sender, V2_MAX_FRAME, readV2Frames, type Trailer } from '../../../src/protocol/v2Frames.js';
import { Sink, isViewOf, readerOf, sourceOf, split } from './streams.js';

const OK = { ok: true, exitCode: 0, message: 'completed OK!' };

async function send(pieces: Buffer[], status = OK): Promise<{ wire: Buffer; trailer: Trailer }> {
  const sink = new Sink();
  const sender = new V2Sender(sink);
  for (const p of pieces) await sender.write(p);
  const trailer = await sender.end(status);
  assert.equal(sink.writableEnded, false, 'end() must not end the output');
  return { wire: sink.data, trailer };
}

async function receive(reader: StreamReader): Promise<{ data: Buffer; trailer: Trailer }> {
  const gen = readV2Frames(reader);
  const parts: Buffer[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { data: Buffer.concat(parts), trailer: r.value };
    parts.push(r.value);
  }
}

function frame(payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length);
  return Buffer.concat([h, payload]);
}

function end(t: object): Buffer {
  return Buffer.concat([Buffer.alloc(4), Buffer.from(`${JSON.stringify(t)}\n`)]);
}

test('v2 round trip: payload, byte count and SHA-256 in the trailer', async () => {
  const data = randomBytes(100_000);
  const { wire, trailer } = await send([data.subarray(0, 1), Buffer.alloc(0), data.subarray(1, 70_000), data.subarray(70_000)]);
  assert.deepEqual(trailer, {
    ok: true,
    exitCode: 0,
    bytes: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
    message: 'completed OK!',
  });
  // 3 frames (the empty write is skipped), the 0 frame, the trailer line.
  assert.equal(wire.length, 3 * 4 + data.length + 4 + JSON.stringify(trailer).length + 1);
  assert.ok(wire.subarray(wire.length - 1).equals(Buffer.from('\n')));
  for (const size of [1, 5, 65536, Infinity]) {
    if (size === 1 && wire.length > 20_000) continue; // covered below with a small stream
    const got = await receive(readerOf(wire, size));
    assert.ok(got.data.equals(data), `pieces of ${size}`);
    assert.deepEqual(got.trailer, trailer);
  }
  const small = await send([Buffer.from('hello '), Buffer.from('world')]);
  const got = await receive(readerOf(small.wire, 1));
  assert.equal(got.data.toString(), 'hello world');
});

test('an empty stream is just the end frame and a trailer', async () => {
  const { wire, trailer } = await send([]);
  assert.equal(trailer.bytes, 0);
  assert.equal(trailer.sha256, createHash('sha256').digest('hex'));
  assert.deepEqual(wire.subarray(0, 4), Buffer.alloc(4));
  assert.deepEqual(await receive(readerOf(wire)), { data: Buffer.alloc(0), trailer });
});

test('writes bigger than V2_MAX_FRAME are split', async () => {
  const data = Buffer.alloc(V2_MAX_FRAME * 2 + 3, 0x61);
  const { wire } = await send([data]);
  assert.equal(wire.readUInt32BE(0), V2_MAX_FRAME);
  assert.equal(wire.readUInt32BE(4 + V2_MAX_FRAME), V2_MAX_FRAME);
  assert.equal(wire.readUInt32BE(8 + 2 * V2_MAX_FRAME), 3);
  const got = await receive(new StreamReader(sourceOf(split(wire, 65536))));
  assert.ok(got.data.equals(data));
});

test('a failed producer: the trailer says ok:false and the receiver throws with its message', async () => {
  const { wire, trailer } = await send([Buffer.from('partial')], { ok: false, exitCode: 2, message: 'mariabackup: Error: no space' });
  assert.equal(trailer.ok, false);
  await assert.rejects(receive(readerOf(wire)), (err: unknown) => {
    assert.ok(err instanceof IntegrityError);
    assert.match(err.message, /exit code 2/);
    assert.match(err.message, /no space/);
    return true;
  });
});

test('every broken stream is an IntegrityError', async () => {
  const data = Buffer.from('the quick brown fox');
  const { wire, trailer } = await send([data]);
  const tampered = Buffer.from(wire);
  tampered[6] = (tampered[6] as number) ^ 1; // a payload byte
  const good = (t: Partial<Trailer>): Buffer => Buffer.concat([frame(data), end({ ...trailer, ...t })]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['nothing at all', Buffer.alloc(0), /ended after 0 bytes/],
    ['cut in a frame header', wire.subarray(0, 2), /inside a frame header/],
    ['cut in a payload', wire.subarray(0, 10), /inside a frame/],
    ['no end frame', frame(data), /ended after 19 bytes/],
    ['no trailer', Buffer.concat([frame(data), Buffer.alloc(4)]), /after the end frame/],
    ['trailer cut', wire.subarray(0, wire.length - 1), /trailer unreadable/],
    ['tampered byte', tampered, /SHA-256/],
    ['wrong count', good({ bytes: data.length + 1 }), /received 19 bytes but the sender sent 20/],
    ['wrong hash', good({ sha256: '0'.repeat(64) }), /SHA-256/],
    ['bad JSON', Buffer.concat([frame(data), Buffer.alloc(4), Buffer.from('{ok:true}\n')]), /not JSON/],
    ['JSON of the wrong shape', good({ bytes: '19' as unknown as number }), /malformed/],
    ['no hash', Buffer.concat([frame(data), end({ ok: true, exitCode: 0, bytes: 19, message: '' })]), /malformed/],
  ];
  for (const [why, bytes, re] of cases) {
    await assert.rejects(receive(readerOf(bytes)), (err: unknown) => {
      assert.ok(err instanceof IntegrityError, `${why}: ${String(err)}`);
      assert.match(err.message, re, why);
      return true;
    });
  }
});

test('a frame longer than V2_MAX_FRAME is a ProtocolError', async () => {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(V2_MAX_FRAME + 1);
  await assert.rejects(receive(readerOf(h)), (err: unknown) => err instanceof ProtocolError && !(err instanceof IntegrityError));
});

test('V2Sender refuses overlapping writes and writes after end', async () => {
  const sender = new V2Sender(new Sink());
  const first = sender.write(Buffer.alloc(10));
  await assert.rejects(sender.write(Buffer.alloc(1)), /pending/);
  await first;
  await sender.end(OK);
  await assert.rejects(sender.write(Buffer.alloc(1)), /after end/);
  await assert.rejects(sender.end(OK), /twice/);
});

test('V2Sender hands each write to the stream at once (one writev for headers and payloads)', async () => {
  const calls: number[] = [];
  const out = new Writable({
    write(_chunk: Buffer, _enc, cb) {
      calls.push(1);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.length);
      cb();
    },
  });
  const sender = new V2Sender(out);
  await sender.write(Buffer.alloc(100));
  await sender.write(Buffer.alloc(V2_MAX_FRAME + 1));
  assert.deepEqual(calls, [2, 4]);
});

test('V2Sender.send gathers the frames of one turn of the event loop into one writev, and no more than 1 MiB', async () => {
  const calls: number[] = [];
  const got: Buffer[] = [];
  const out = new Writable({
    write(chunk: Buffer, _enc, cb) {
      calls.push(1);
      got.push(chunk);
      cb();
    },
    writev(chunks, cb) {
      calls.push(chunks.length);
      for (const c of chunks) got.push(c.chunk as Buffer);
      cb();
    },
  });
  const sender = new V2Sender(out);
  const piece = randomBytes(64 * 1024);
  // Eight 64 KiB pieces in one turn: one writev of eight headers and eight payloads, at the turn's end.
  for (let i = 0; i < 8; i++) assert.equal(sender.send(piece), true);
  assert.deepEqual(calls, [], 'nothing is sent before the turn ends');
  await new Promise((resolve) => setImmediate(resolve));
  assert.deepEqual(calls, [16]);
  // Sixteen in one turn reach 1 MiB: sent at once, without waiting for the turn's end.
  calls.length = 0;
  for (let i = 0; i < 16; i++) sender.send(piece);
  assert.deepEqual(calls, [32]);
  // What was gathered goes out before the end frame and the trailer.
  sender.send(piece);
  await sender.end(OK);
  const wire = Buffer.concat(got);
  const { data } = await receive(readerOf(wire));
  assert.equal(data.length, 25 * piece.length);
  for (let i = 0; i < 25; i++) assert.ok(data.subarray(i * piece.length, (i + 1) * piece.length).equals(piece));
});

test('readV2Frames yields payloads as views of what arrived, however the frames straddle the reads', async () => {
  const data = randomBytes(300_000);
  const { wire } = await send([data.subarray(0, 65536), data.subarray(65536, 131072), data.subarray(131072)]);
  const pieces = split(wire, 65536);
  const gen = readV2Frames(new StreamReader(sourceOf(pieces)));
  const got: Buffer[] = [];
  for (let r = await gen.next(); !r.done; r = await gen.next()) got.push(r.value);
  assert.ok(Buffer.concat(got).equals(data));
  assert.ok(got.every((b) => pieces.some((p) => isViewOf(b, p))), 'no copies');
});

test('onTrailer hands a for-await loop the checked trailer; not called when the check fails', async () => {
  const data = randomBytes(200_000);
  const { wire, trailer } = await send(split(data, 65536));
  let seen: Trailer | undefined;
  let got = 0;
  for await (const p of readV2Frames(readerOf(wire, 7000), { onTrailer: (t) => { seen = t; } })) got += p.length;
  assert.equal(got, data.length);
  assert.deepEqual(seen, trailer);
  const bad = Buffer.from(wire);
  bad.writeUInt8(bad.readUInt8(10) ^ 1, 10);
  let badSeen: Trailer | undefined;
  await assert.rejects(async () => {
    for await (const _ of readV2Frames(readerOf(bad, 7000), { onTrailer: (t) => { badSeen = t; } })) void _;
  }, IntegrityError);
  assert.equal(badSeen, undefined);
});
