import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import { IntegrityError } from '../../../src/errors.js';
import { endWritable } from '../../../src/protocol/io.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { createDecoder, encodeBlock, parseEncoding, pickEncoding, runtimeHas } from '../../../src/protocol/compression.js';
import { CompressingSender, readCompressedV2 } from '../../../src/protocol/compressionFrames.js';
import { readV2Frames, type Trailer } from '../../../src/protocol/v2Frames.js';
import { socketPair } from '../../helpers/socketPair.js';
import { Sink, readerOf } from './streams.js';

// Compression in transit (protocol 2.2): how encodings are named and chosen, and a compressed
// v2 stream end to end: the trailer checks the payload after the decompressor, a corrupt or cut
// compressed stream is an IntegrityError, and a slow receiver still holds the sender back.

const OK = { ok: true, exitCode: 0, message: 'completed OK!' };

/** Rows like a sysbench table's: repeated words and numbers, roughly 3:1 under gzip:1. */
function rows(n: number): Buffer {
  const words = ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf', 'hotel'];
  const lines: string[] = [];
  let seed = 7;
  const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31);
  for (let i = 0; i < n; i++) {
    const pad = Array.from({ length: 6 }, () => `${next() % 100000}`.padStart(11, '0')).join('-');
    lines.push(`${i}\t${next() % 1000000}\t${words[next() % 8]}-${pad}\t${words[next() % 8]}\n`);
  }
  return Buffer.from(lines.join(''));
}

async function sendCompressed(pieces: Buffer[], token = 'gzip:1', status = OK): Promise<{ wire: Buffer; trailer: Trailer }> {
  const sink = new Sink();
  const enc = parseEncoding(token);
  assert.ok(enc);
  const sender = new CompressingSender(sink, enc);
  for (const p of pieces) {
    const r = sender.send(p);
    if (r !== true) await r;
  }
  const trailer = await sender.end(status);
  return { wire: sink.data, trailer };
}

async function receive(reader: StreamReader, codec: 'gzip' | 'zstd' = 'gzip'): Promise<{ data: Buffer; trailer: Trailer }> {
  const gen = readCompressedV2(reader, codec);
  const parts: Buffer[] = [];
  for (;;) {
    const r = await gen.next();
    if (r.done) return { data: Buffer.concat(parts), trailer: r.value };
    parts.push(r.value);
  }
}

/** The payload frames of a v2 stream, joined (the compressed bytes), and its trailer line. */
async function framesOf(wire: Buffer): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const p of readV2Frames(readerOf(wire), { encoded: true })) parts.push(p);
  return Buffer.concat(parts);
}

test('encodings: a bare name is its low level, levels out of range and unknown names are not encodings', () => {
  assert.deepEqual(parseEncoding('gzip'), { codec: 'gzip', level: 1, token: 'gzip:1' });
  assert.deepEqual(parseEncoding('gzip:9'), { codec: 'gzip', level: 9, token: 'gzip:9' });
  assert.deepEqual(parseEncoding('zstd:3'), { codec: 'zstd', level: 3, token: 'zstd:3' });
  for (const bad of ['gzip:0', 'gzip:10', 'zstd:20', 'brotli', 'gzip:', 'GZIP', 'gzip:1:2', '']) assert.equal(parseEncoding(bad), undefined, bad);
});

test('the server picks the first offer it has: unknown tokens are skipped, zstd only where the runtime has it', () => {
  assert.equal(pickEncoding(['lz4', 'gzip:6'])?.token, 'gzip:6');
  assert.equal(pickEncoding(['zstd:3', 'gzip:1'])?.token, runtimeHas('zstd') ? 'zstd:3' : 'gzip:1');
  assert.equal(pickEncoding(['lz4']), undefined);
  assert.equal(pickEncoding([]), undefined);
});

test('gzip:1 round trip: the payload arrives whole, the trailer states it uncompressed, wireBytes the frames', async () => {
  const data = rows(40_000);
  const pieces = [data.subarray(0, 100_000), data.subarray(100_000, 100_001), data.subarray(100_001)];
  const { wire, trailer } = await sendCompressed(pieces);
  assert.equal(trailer.bytes, data.length);
  assert.equal(trailer.sha256, createHash('sha256').update(data).digest('hex'));
  const compressed = await framesOf(wire);
  assert.equal(trailer.wireBytes, compressed.length);
  assert.ok(compressed.length * 2 < data.length, `rows compress: ${compressed.length} of ${data.length}`);
  for (const pieceSize of [Infinity, 7, 4096]) {
    const r = await receive(readerOf(wire, pieceSize));
    assert.ok(r.data.equals(data), `piece size ${pieceSize}`);
    assert.deepEqual(r.trailer, trailer);
  }
});

test('an empty payload: a valid compressed stream of nothing', async () => {
  const { wire, trailer } = await sendCompressed([]);
  assert.equal(trailer.bytes, 0);
  assert.ok((trailer.wireBytes ?? 0) > 0, 'gzip has a header and footer even for nothing');
  assert.equal((await receive(readerOf(wire))).data.length, 0);
});

test('fault: compressed stream (2.2) with bytes flipped by a hostile server | v2 | IntegrityError (corrupt gzip, or a SHA-256 mismatch), never the data', async () => {
  const data = rows(20_000);
  const { wire } = await sendCompressed([data]);
  // Flip bytes well inside the deflate data (frame header is 4 bytes, gzip header 10).
  for (const at of [4 + 2, 4 + 40, 4 + 5000, Math.floor(wire.length / 2)]) {
    const bad = Buffer.from(wire);
    bad[at] = (bad[at] ?? 0) ^ 0x5a;
    await assert.rejects(receive(readerOf(bad)), (err: unknown) => {
      assert.ok(err instanceof IntegrityError, `offset ${at}: ${String(err)}`);
      assert.match(err.message, /compressed data stream \(gzip\) is corrupt|SHA-256|received \d+ bytes|frame length/);
      return true;
    });
  }
});

test('fault: well-formed compressed stream (2.2) of other bytes under the right trailer | v2 | IntegrityError "SHA-256 of the received data ... differs" (the check covers the decompressor)', async () => {
  const data = rows(1000);
  const { trailer } = await sendCompressed([data]);
  const other = gzipSync(Buffer.concat([data.subarray(1), Buffer.from('x')]), { level: 1 });
  const h = Buffer.alloc(4);
  h.writeUInt32BE(other.length);
  const forged = Buffer.concat([h, other, Buffer.alloc(4), Buffer.from(`${JSON.stringify({ ...trailer, wireBytes: other.length })}\n`)]);
  await assert.rejects(receive(readerOf(forged)), /SHA-256 of the received data .* differs/);
});

test('fault: compressed stream (2.2) cut before its trailer | v2 | IntegrityError naming the cut', async () => {
  const data = rows(20_000);
  const { wire } = await sendCompressed([data]);
  await assert.rejects(receive(readerOf(wire.subarray(0, Math.floor(wire.length / 2)))), (err: unknown) => {
    assert.ok(err instanceof IntegrityError, String(err));
    assert.match(err.message, /ended inside a frame|before its trailer/);
    return true;
  });
});

test('fault: compressed stream (2.2) whose sender failed (ok:false trailer) | v2 | IntegrityError with the sender\'s message, not a decompression error', async () => {
  const { wire } = await sendCompressed([rows(100)], 'gzip:1', { ok: false, exitCode: 3, message: 'mariabackup: disk full' });
  await assert.rejects(receive(readerOf(wire)), (err: unknown) => {
    assert.ok(err instanceof IntegrityError);
    assert.match(err.message, /^the sender reported a failure \(exit code 3\): mariabackup: disk full$/);
    return true;
  });
});

test('fault: compressed stream (2.2): trailer wireBytes differs from the compressed frames received | v2 | IntegrityError "received N bytes on the wire but the sender sent M"', async () => {
  const { wire, trailer } = await sendCompressed([rows(100)]);
  const line = `${JSON.stringify(trailer)}\n`;
  const forgedLine = `${JSON.stringify({ ...trailer, wireBytes: (trailer.wireBytes ?? 0) + 1 })}\n`;
  const forged = Buffer.concat([wire.subarray(0, wire.length - line.length), Buffer.from(forgedLine)]);
  await assert.rejects(receive(readerOf(forged)), /received \d+ bytes on the wire but the sender sent \d+/);
});

test('a receiver that stops early releases the stream (no hang, no unhandled error)', async () => {
  const { wire } = await sendCompressed([rows(50_000)]);
  const gen = readCompressedV2(readerOf(wire, 1000), 'gzip');
  const first = await gen.next();
  assert.equal(first.done, false);
  await gen.return(undefined as never);
});

test('a producer that pauses mid-block: what it sent reaches the receiver without waiting for a full block or the end', { timeout: 30_000 }, async () => {
  const [out, input] = await socketPair();
  try {
    const enc = parseEncoding('gzip:1');
    assert.ok(enc);
    const sender = new CompressingSender(out, enc);
    const first = Buffer.from('binlog event 1\n'.repeat(100));
    assert.equal(sender.send(first), true);
    const gen = readCompressedV2(new StreamReader(input), 'gzip');
    // Nothing more is sent until the receiver has the first bytes: without the flush this hangs.
    const got = await gen.next();
    assert.equal(got.done, false);
    assert.ok(first.subarray(0, (got.value as Buffer).length).equals(got.value as Buffer));
    assert.equal(sender.send(Buffer.from('binlog event 2\n')), true);
    await sender.end(OK);
    await endWritable(out);
    const rest: Buffer[] = [got.value as Buffer];
    for (let r = await gen.next(); !r.done; r = await gen.next()) rest.push(r.value);
    assert.equal(Buffer.concat(rest).toString(), `${first.toString()}binlog event 2\n`);
  } finally {
    out.destroy();
    input.destroy();
  }
});

test('data that does not shrink goes stored (no deflate search) for a run of blocks, and compressible data after it is compressed again', async () => {
  const random = randomBytes(20 * 1024 * 1024);
  const text = rows(400_000);
  const enc = parseEncoding('gzip:1');
  assert.ok(enc);
  const sink = new Sink();
  const sender = new CompressingSender(sink, enc);
  for (const piece of [random, text]) {
    for (let at = 0; at < piece.length; at += 64 * 1024) {
      const r = sender.send(piece.subarray(at, at + 64 * 1024));
      if (r !== true) await r;
    }
  }
  const trailer = await sender.end(OK);
  const { blocks, stored } = sender.blockCounts;
  assert.ok(stored >= 10 && stored < blocks, `${stored} of ${blocks} blocks stored`);
  assert.ok((trailer.wireBytes ?? 0) < random.length + text.length * 0.8, `the text after the random bytes is compressed: ${trailer.wireBytes} bytes on the wire for ${text.length} of text`);
  const r = await receive(readerOf(sink.data));
  assert.ok(r.data.equals(Buffer.concat([random, text])));
});

test('zstd:3 where the runtime has it: round trip, and a flipped byte is an IntegrityError; elsewhere never picked, and refused by name', async () => {
  if (!runtimeHas('zstd')) {
    // Node.js < 22.15: a server must skip the offer, and nothing may try to use zstd quietly.
    assert.equal(pickEncoding(['zstd:3', 'gzip:1'])?.token, 'gzip:1');
    assert.equal(pickEncoding(['zstd:3']), undefined);
    const zstd = parseEncoding('zstd:3');
    assert.ok(zstd);
    await assert.rejects(encodeBlock(zstd, Buffer.from('x')), /zstd is not available in this runtime/);
    assert.throws(() => createDecoder('zstd'), /zstd is not available in this runtime/);
    return;
  }
  const data = Buffer.concat([rows(30_000), randomBytes(3 * 1024 * 1024), rows(10_000)]);
  const { wire, trailer } = await sendCompressed([data], 'zstd:3');
  assert.equal(trailer.bytes, data.length);
  assert.ok((trailer.wireBytes ?? Infinity) < data.length);
  const r = await receive(readerOf(wire, 65_536), 'zstd');
  assert.ok(r.data.equals(data));
  const bad = Buffer.from(wire);
  const at = Math.floor(bad.length / 4);
  bad.writeUInt8(bad.readUInt8(at) ^ 0x11, at);
  await assert.rejects(receive(readerOf(bad), 'zstd'), (err: unknown) => err instanceof IntegrityError);
});
