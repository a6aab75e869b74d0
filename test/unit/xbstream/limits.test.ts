import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../../../src/errors.js';
import { parseXbstream } from '../../../src/xbstream/chunks.js';
import { receiveIntoDir } from '../../../src/transfer/receiveIntoDir.js';
import { extractXbstream } from '../../../src/xbstream/extract.js';
import { DEFAULT_MAX_FILE_SIZE, MAX_SPARSE_MAP_BYTES, TYPE_PAYLOAD } from '../../../src/xbstream/format.js';
import { XbstreamWriter, encodeRawChunk, payloadChunkLayout } from '../../../src/xbstream/writer.js';
import { makeTempDir } from '../../helpers/tempDir.js';
import { collect, whole } from './streamPieces.js';

// Issue 7, hole 5: every buffer the xbstream reader holds is bounded, and so is the apparent
// size a stream can give a file (sparse holes included), whatever the stream declares.

async function refused(p: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(p, (err: unknown) => {
    assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

/** An S chunk header declaring `count` map entries, followed by nothing: the map is never sent. */
function sparseHeaderOnly(count: number, payload: number): Buffer {
  const w = new XbstreamWriter();
  const chunk = w.sparse('s.ibd', [{ skip: 0, len: 1 }], Buffer.from('x'));
  const countAt = 14 + 's.ibd'.length;
  chunk.writeUInt32LE(count, countAt);
  chunk.writeBigUInt64LE(BigInt(payload), countAt + 4);
  return chunk.subarray(0, countAt + 4 + 20);
}

test('a sparse map of 256 MiB in one chunk is refused from its header, before it is read', async () => {
  await refused(collect(parseXbstream(whole(sparseHeaderOnly(32 * 1024 * 1024, 1)))), /sparse map of 33554432 entries/);
  // Within the byte bound but with more entries than the payload could fill.
  await refused(collect(parseXbstream(whole(sparseHeaderOnly(1000, 10)))), /sparse map of 1000 entries for 10 payload bytes/);
  assert.ok(MAX_SPARSE_MAP_BYTES <= 16 * 1024 * 1024);
});

test('a sparse map with many empty entries (holes without data) is refused', async () => {
  const w = new XbstreamWriter();
  const map = Array.from({ length: 5000 }, () => ({ skip: 4096, len: 0 }));
  await refused(collect(parseXbstream(whole(w.sparse('s.ibd', map, Buffer.alloc(0))))), /sparse map of 5000 entries for 0 payload bytes/);
});

test('a payload over 64 MiB is refused from its header by default', async () => {
  const chunk = encodeRawChunk({ type: TYPE_PAYLOAD, path: 'big', body: { offset: 0n, data: Buffer.alloc(10) } });
  chunk.writeBigUInt64LE(65n * 1024n * 1024n, payloadChunkLayout(3).length);
  await refused(collect(parseXbstream(whole(chunk))), /over the 67108864 limit/);
});

test('a 15.6 TiB hole from a 32 KB chunk is refused; nothing is left claiming that size', async () => {
  const tmp = await makeTempDir('zrm-xblimit-');
  try {
    const w = new XbstreamWriter();
    const map = Array.from({ length: 4000 }, () => ({ skip: 0xffffffff, len: 8 }));
    const stream = Buffer.concat([w.sparse('huge.ibd', map, Buffer.alloc(32_000, 1)), w.eof('huge.ibd')]);
    assert.ok(stream.length < 70_000);
    await refused(extractXbstream(whole(stream), join(tmp.path, 'x'), { fsync: false }), /huge\.ibd would grow to 17179869\d+ bytes, over the limit of \d+/);
    assert.ok(DEFAULT_MAX_FILE_SIZE < 15n * 1024n ** 4n);
    // A smaller configured limit applies to plain payload too.
    const small = Buffer.concat(new XbstreamWriter().addFile('f', Buffer.alloc(5000, 2), { chunkSize: 1000 }));
    await refused(extractXbstream(whole(small), join(tmp.path, 'y'), { fsync: false, maxFileSize: 4096n }), /f would grow to 5000 bytes, over the limit of 4096/);
    const res = await extractXbstream(whole(small), join(tmp.path, 'z'), { fsync: false, maxFileSize: 5000n });
    assert.equal(res.files, 1);
    assert.deepEqual(await readdir(join(tmp.path, 'z')), ['f']);
  } finally {
    await tmp.cleanup();
  }
});

test('receiving an xbstream ([client] max_file_size): over the limit, nothing is published', async () => {
  const tmp = await makeTempDir('zrm-xblimit-');
  try {
    const stream = Buffer.concat(new XbstreamWriter().addFile('db/t.ibd', Buffer.alloc(3000, 3), { chunkSize: 1000 }));
    await refused(receiveIntoDir(whole(stream), 'xbstream', tmp.path, { maxFileSize: 2048n }), /t\.ibd would grow to 3000 bytes, over the limit of 2048/);
    assert.deepEqual(await readdir(tmp.path), []);
    await receiveIntoDir(whole(stream), 'xbstream', tmp.path, { maxFileSize: 3000n });
    assert.deepEqual(await readdir(tmp.path), ['db']);
  } finally {
    await tmp.cleanup();
  }
});
