import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../../../src/errors.js';
import { receiveIntoDir } from '../../../src/transfer/receiveIntoDir.js';
import { crc32, crc32Portable } from '../../../src/xbstream/crc32.js';
import { CrcEngine, THREAD_MIN_CHUNK } from '../../../src/xbstream/crcThread.js';
import { extractXbstream } from '../../../src/xbstream/extract.js';
import { XbstreamWriter } from '../../../src/xbstream/writer.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { flip, prng, randomBytes, randomPieces } from './streamPieces.js';

const MiB = 1024 * 1024;

async function chunkCrc(engine: CrcEngine, initial: number, data: Buffer, seed: number): Promise<number> {
  const crc = engine.chunk(initial, data.length);
  const rnd = prng(seed);
  for (let i = 0; i < data.length; ) {
    const n = Math.min(data.length - i, 1 + Math.floor(rnd() * 700_000));
    const full = crc.update(data.subarray(i, i + n));
    if (full) await full;
    i += n;
  }
  return crc.result();
}

test('large chunks on the CRC thread, one after another, give zlib-compatible CRCs (ring wrapped many times)', async () => {
  const engine = new CrcEngine();
  try {
    const data = randomBytes(5 * MiB + 123, 31);
    for (const [i, len] of [THREAD_MIN_CHUNK, 5 * MiB + 123, 3 * MiB + 7, 10, 4 * MiB].entries()) {
      const part = data.subarray(0, len);
      const initial = i % 2 === 0 ? 0 : 0x1234abcd; // a sparse chunk starts from its map's CRC
      assert.equal(await chunkCrc(engine, initial, part, 40 + i), crc32Portable(part, initial), `chunk ${i} of ${len} bytes`);
    }
  } finally {
    engine.close();
  }
});

test('without the thread (a runtime without zlib.crc32) the CRCs are the same', async () => {
  const engine = new CrcEngine(false);
  const data = randomBytes(2 * MiB, 32);
  assert.equal(await chunkCrc(engine, 7, data, 50), crc32(data, 7));
  engine.close();
});

test('a corrupt byte deep in a 10 MiB chunk (checked on the CRC thread) fails the extraction; nothing is published', async () => {
  await withTempDir('zrm-xbs-', async (dir) => {
    const w = new XbstreamWriter();
    const a = randomBytes(3 * MiB, 33);
    const b = randomBytes(10 * MiB, 34);
    const stream = Buffer.concat([...w.addFile('ibdata1', a), ...w.addFile('db/t.ibd', b)]);
    const bad = flip(stream, stream.length - 100, 0x08); // near the end of b's only chunk
    await assert.rejects(extractXbstream(randomPieces(bad, 35, 200_000), join(dir, 'direct'), { fsync: false }), (err: unknown) => {
      assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
      assert.match(err.message, /checksum mismatch in chunk at byte \d+ \(db\/t\.ibd offset 0\)/);
      return true;
    });
    const dest = join(dir, 'dest');
    await mkdir(dest);
    await assert.rejects(receiveIntoDir(randomPieces(bad, 36, 200_000), 'xbstream', dest), /checksum mismatch/);
    assert.deepEqual(await readdir(dest), [], 'a staging or published file was left behind');
    await receiveIntoDir(randomPieces(stream, 37, 200_000), 'xbstream', dest);
    assert.deepEqual((await readdir(dest)).sort(), ['db', 'ibdata1']);
  });
});
