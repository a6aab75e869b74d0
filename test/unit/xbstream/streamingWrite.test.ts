import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../../../src/errors.js';
import { receiveIntoDir } from '../../../src/transfer/receiveIntoDir.js';
import { extractXbstream } from '../../../src/xbstream/extract.js';
import { PieceWriter } from '../../../src/xbstream/pieceWriter.js';
import { XbstreamWriter } from '../../../src/xbstream/writer.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { flip, inPieces, randomBytes, randomPieces } from './streamPieces.js';

// Issue 11: a chunk's payload goes to disk as it arrives, its checksum checked at its end.

const MiB = 1024 * 1024;

async function sizeOf(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0; // not created yet
  }
}

test('a 10 MiB chunk arriving in 64 KiB pieces: never more than 1 MiB held by the extractor', async () => {
  await withTempDir('zrm-xbs-', async (dir) => {
    const data = randomBytes(10 * MiB, 21);
    const stream = Buffer.concat(new XbstreamWriter().addFile('ibdata1', data, { chunkSize: 10 * MiB }));
    const pieces = inPieces(stream, () => 64 * 1024);
    let handed = 0;
    let mostHeld = 0;
    // Before each piece is handed over, what was handed over before and is not yet in the file
    // is what the extractor holds (the reader asks for a piece only once it has used the last).
    async function* source(): AsyncGenerator<Buffer> {
      for await (const piece of pieces) {
        mostHeld = Math.max(mostHeld, handed - (await sizeOf(join(dir, 'ibdata1'))));
        handed += piece.length;
        yield piece;
      }
    }
    const res = await extractXbstream(source(), dir, { fsync: false });
    assert.equal(res.files, 1);
    assert.ok((await readFile(join(dir, 'ibdata1'))).equals(data));
    assert.ok(mostHeld <= 1 * MiB, `held ${mostHeld} bytes of a ${10 * MiB}-byte chunk at once`);
  });
});

test('a corrupt payload byte in a later chunk fails the extraction; nothing is published', async () => {
  await withTempDir('zrm-xbs-', async (dir) => {
    const w = new XbstreamWriter();
    const a = randomBytes(200_000, 22);
    const b = randomBytes(150_000, 23);
    const chunks = [...w.addFile('db/a.ibd', a, { chunkSize: 50_000 }), ...w.addFile('db/b.ibd', b, { chunkSize: 50_000 })];
    const stream = Buffer.concat(chunks);
    // A byte in the middle of b's third chunk's payload, after a is complete and two of b's chunks are written.
    const third = Buffer.concat(chunks.slice(0, 5 + 2)).length;
    const bad = flip(stream, third + 30_000, 0x40);

    await assert.rejects(extractXbstream(randomPieces(bad, 24, 9000), join(dir, 'direct'), { fsync: false }), (err: unknown) => {
      assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
      assert.match(err.message, /checksum mismatch in chunk at byte \d+ \(db\/b\.ibd offset 100000\)/);
      return true;
    });

    const dest = join(dir, 'dest');
    await mkdir(dest);
    await assert.rejects(receiveIntoDir(randomPieces(bad, 25, 9000), 'xbstream', dest), /checksum mismatch/);
    assert.deepEqual(await readdir(dest), [], 'a staging or published file was left behind');
    // The same stream intact goes through: the failure above was the corrupt byte.
    await receiveIntoDir(randomPieces(stream, 26, 9000), 'xbstream', dest);
    assert.ok((await readFile(join(dest, 'db/b.ibd'))).equals(b));
  });
});

test('a corrupt byte at the end of a 10 MiB chunk (most of it already written) fails the extraction; nothing is published', async () => {
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
    assert.ok((await readFile(join(dest, 'db/t.ibd'))).equals(b));
  });
});

test('PieceWriter: a piece that does not fill a batch costs no promise; the file gets every byte in place', async () => {
  await withTempDir('zrm-xbs-', async (dir) => {
    const data = randomBytes(3 * MiB, 22);
    const fh = await open(join(dir, 'f'), 'w+');
    try {
      // Two segments, a hole between them: pieces are split where a segment ends.
      const w = new PieceWriter(fh, [{ at: 0, len: MiB + 100 }, { at: 2 * MiB, len: 2 * MiB - 100 }]);
      let promises = 0;
      for await (const piece of inPieces(data, () => 64 * 1024)) {
        const r = w.add(piece);
        if (r !== undefined) {
          promises++;
          await r;
        }
      }
      await w.finish();
      // One promise per batch started (and one where the hole breaks a batch), not one per piece.
      assert.ok(promises > 0 && promises <= 7, `${promises} promises for 48 pieces`);
      const file = await readFile(join(dir, 'f'));
      assert.equal(file.length, 4 * MiB - 100);
      assert.ok(file.subarray(0, MiB + 100).equals(data.subarray(0, MiB + 100)));
      assert.ok(file.subarray(MiB + 100, 2 * MiB).equals(Buffer.alloc(MiB - 100)));
      assert.ok(file.subarray(2 * MiB).equals(data.subarray(MiB + 100)));
    } finally {
      await fh.close();
    }
  });
});
