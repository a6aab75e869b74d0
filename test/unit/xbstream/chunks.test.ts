import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IntegrityError } from '../../../src/errors.js';
import { parseXbstream, parseXbstreamPieces, type XbChunk } from '../../../src/xbstream/chunks.js';
import { FLAG_IGNORABLE, TYPE_PAYLOAD } from '../../../src/xbstream/format.js';
import { XbstreamWriter, encodeChunk, encodeRawChunk, payloadChunkLayout } from '../../../src/xbstream/writer.js';
import { collect, flip, oneByteAtATime, randomBytes, randomPieces, whole } from './streamPieces.js';

function sampleStream(): { bytes: Buffer; a: Buffer; b: Buffer } {
  const w = new XbstreamWriter();
  const a = randomBytes(5000, 1);
  const b = randomBytes(1234, 2);
  const bytes = Buffer.concat([
    ...w.addFile('ibdata1', a, { chunkSize: 2048 }),
    ...w.addFile('db/t1.ibd', b, { chunkSize: 1000 }),
    ...w.addFile('empty', Buffer.alloc(0)),
  ]);
  return { bytes, a, b };
}

function dataOf(chunks: XbChunk[], path: string): Buffer {
  return Buffer.concat(chunks.flatMap((c) => (c.kind === 'payload' && c.path === path ? [c.data] : [])));
}

async function rejects(stream: Buffer, pattern: RegExp): Promise<void> {
  await assert.rejects(collect(parseXbstream(whole(stream))), (err: unknown) => {
    assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

test('round trip: chunks come back as written, in order, with offsets', async () => {
  const { bytes, a, b } = sampleStream();
  const chunks = await collect(parseXbstream(whole(bytes)));
  assert.deepEqual(
    chunks.map((c) => [c.kind, c.path, c.kind === 'eof' ? null : c.offset]),
    [
      ['payload', 'ibdata1', 0n], ['payload', 'ibdata1', 2048n], ['payload', 'ibdata1', 4096n], ['eof', 'ibdata1', null],
      ['payload', 'db/t1.ibd', 0n], ['payload', 'db/t1.ibd', 1000n], ['eof', 'db/t1.ibd', null],
      ['eof', 'empty', null],
    ],
  );
  assert.ok(dataOf(chunks, 'ibdata1').equals(a));
  assert.ok(dataOf(chunks, 'db/t1.ibd').equals(b));
  assert.ok(chunks.map((c) => encodeChunk(c)).reduce((x, y) => Buffer.concat([x, y])).equals(bytes));
});

test('the stream may arrive one byte at a time or in random pieces', async () => {
  const { bytes } = sampleStream();
  const expected = await collect(parseXbstream(whole(bytes)));
  assert.deepEqual(await collect(parseXbstream(oneByteAtATime(bytes))), expected);
  for (const seed of [3, 4, 5, 6]) {
    assert.deepEqual(await collect(parseXbstream(randomPieces(bytes, seed))), expected, `seed ${seed}`);
  }
});

test('an empty stream has no chunks', async () => {
  assert.deepEqual(await collect(parseXbstream(whole(Buffer.alloc(0)))), []);
});

test('sparse chunks: map and data come back; the checksum covers the map', async () => {
  const w = new XbstreamWriter();
  const map = [{ skip: 0, len: 3 }, { skip: 100, len: 2 }];
  const data = Buffer.from('abcde');
  const bytes = Buffer.concat([w.sparse('s.ibd', map, data), w.payload('s.ibd', Buffer.from('z')), w.eof('s.ibd')]);
  const chunks = await collect(parseXbstream(oneByteAtATime(bytes)));
  assert.deepEqual(chunks[0], { kind: 'sparse', path: 's.ibd', offset: 0n, data, map, flags: 0 });
  assert.equal(chunks[1]?.kind === 'payload' && chunks[1].offset, 105n);
  await rejects(flip(bytes, 14 + 5 + 4 + 20 + 4), /checksum/); // the first map entry's len
});

test('a sparse map that does not add up to the payload is refused', async () => {
  const bad = encodeRawChunk({ type: 0x53, path: 'x', body: { offset: 0n, data: Buffer.from('abc'), map: [{ skip: 1, len: 2 }] } });
  await rejects(bad, /maps 2 bytes but carries 3/);
});

test('a flipped payload byte or checksum byte is caught', async () => {
  const { bytes } = sampleStream();
  const lay = payloadChunkLayout('ibdata1'.length);
  await rejects(flip(bytes, lay.data + 100), /checksum mismatch.*ibdata1 offset 0/);
  await rejects(flip(bytes, lay.checksum), /checksum mismatch/);
});

test('bad magic is refused', async () => {
  const { bytes } = sampleStream();
  await rejects(flip(bytes, 3), /bad chunk magic at byte 0/);
  await rejects(Buffer.from('not an xbstream at all'), /bad chunk magic/);
});

test('input that ends inside a header or a payload is refused; between chunks is fine', async () => {
  const { bytes } = sampleStream();
  const lay = payloadChunkLayout('ibdata1'.length);
  await rejects(bytes.subarray(0, 5), /inside the header/);
  await rejects(bytes.subarray(0, 16), /inside the path/);
  await rejects(bytes.subarray(0, lay.length + 10), /inside the payload header/);
  await rejects(bytes.subarray(0, lay.data + 2047), /inside the payload of the chunk at byte 0/);
  const firstChunkEnd = lay.data + 2048;
  const chunks = await collect(parseXbstream(whole(bytes.subarray(0, firstChunkEnd))));
  assert.equal(chunks.length, 1); // the parser does not judge files; the extractor does
});

test('unknown chunk types: an error unless flagged skippable, then skipped', async () => {
  const w = new XbstreamWriter();
  const unknown = (flags: number): Buffer =>
    encodeRawChunk({ type: 0x58, path: 'future', flags, body: { offset: 0n, data: Buffer.from('opaque'), checksum: 1 } });
  const good = Buffer.concat(w.addFile('f', Buffer.from('hello')));
  await rejects(Buffer.concat([unknown(0), good]), /unknown chunk type 0x58/);
  const chunks = await collect(parseXbstream(oneByteAtATime(Buffer.concat([unknown(FLAG_IGNORABLE), good]))));
  assert.deepEqual(chunks.map((c) => `${c.kind}:${c.path}`), ['payload:f', 'eof:f']);
});

test('empty, absurdly long, non-UTF-8 or NUL-bearing paths are refused', async () => {
  await rejects(encodeRawChunk({ type: TYPE_PAYLOAD, path: '', body: { offset: 0n, data: Buffer.alloc(1) } }), /empty path/);
  const long = encodeRawChunk({ type: 0x45, path: 'a'.repeat(10) });
  long.writeUInt32LE(4096, 10);
  await rejects(long, /path of 4096 bytes/);
  long.writeUInt32LE(0xffffffff, 10);
  await rejects(long, /path of 4294967295 bytes/);
  await rejects(encodeRawChunk({ type: 0x45, path: Buffer.from([0x61, 0xff, 0x62]) }), /not valid UTF-8/);
  await rejects(encodeRawChunk({ type: 0x45, path: Buffer.from('a\0b') }), /NUL/);
});

test('a payload length over the limit is refused before any of it is read', async () => {
  const chunk = encodeRawChunk({ type: TYPE_PAYLOAD, path: 'big', body: { offset: 0n, data: Buffer.alloc(10) } });
  chunk.writeBigUInt64LE(1n << 40n, payloadChunkLayout(3).length);
  await rejects(chunk, /over the \d+ limit/);
  await assert.rejects(
    collect(parseXbstream(whole(encodeRawChunk({ type: TYPE_PAYLOAD, path: 'p', body: { offset: 0n, data: Buffer.alloc(100) } })), { maxChunkBytes: 99 })),
    /declares 100 bytes, over the 99 limit/,
  );
});

test('stopping early releases the source', async () => {
  const { bytes } = sampleStream();
  let finished = false;
  async function* source(): AsyncGenerator<Buffer> {
    try {
      yield* oneByteAtATime(bytes);
    } finally {
      finished = true;
    }
  }
  for await (const c of parseXbstream(source())) {
    assert.equal(c.path, 'ibdata1');
    break;
  }
  assert.equal(finished, true);
});

test('parseXbstreamPieces leaves each payload in the pieces it arrived in, checked all the same', async () => {
  const { bytes, a } = sampleStream();
  const cuts = [100, 2500, 4000, bytes.length];
  const pieces = cuts.map((end, i) => bytes.subarray(i === 0 ? 0 : cuts[i - 1], end));
  async function* source(): AsyncGenerator<Buffer> {
    yield* pieces;
  }
  const chunks = await collect(parseXbstreamPieces(source()));
  const first = chunks[0];
  assert.ok(first?.kind === 'payload');
  assert.equal(first.length, 2048);
  assert.ok(first.pieces.length > 1, 'the first payload straddles two source pieces');
  const own = (b: Buffer): boolean =>
    pieces.some((p) => b.buffer === p.buffer && b.byteOffset >= p.byteOffset && b.byteOffset + b.length <= p.byteOffset + p.length);
  assert.ok(chunks.every((c) => c.kind === 'eof' || c.pieces.every(own)), 'views, not copies');
  const ibdata = chunks.flatMap((c) => (c.kind === 'payload' && c.path === 'ibdata1' ? c.pieces : []));
  assert.ok(Buffer.concat(ibdata).equals(a));
  const bad = flip(bytes, payloadChunkLayout('ibdata1'.length).data + 2000);
  await assert.rejects(collect(parseXbstreamPieces(randomPieces(bad, 9))), /checksum mismatch/);
});
