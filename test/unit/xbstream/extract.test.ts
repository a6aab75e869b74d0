import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, readdir, rename, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { IntegrityError } from '../../../src/errors.js';
import { extractXbstream } from '../../../src/xbstream/extract.js';
import { XbstreamWriter } from '../../../src/xbstream/writer.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { oneByteAtATime, randomBytes, randomPieces, whole } from './streamPieces.js';

const withTemp = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('zrm-xbs-', fn);

async function extractFails(stream: Buffer, dest: string, pattern: RegExp): Promise<void> {
  await assert.rejects(extractXbstream(whole(stream), dest, { fsync: false }), (err: unknown) => {
    assert.ok(err instanceof IntegrityError, `expected IntegrityError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

const A = randomBytes(70_000, 11);
const B = randomBytes(33_333, 12);

test('extracts files, creating directories, with the default modes', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const stream = Buffer.concat([
      ...w.addFile('ibdata1', A, { chunkSize: 8192 }),
      ...w.addFile('db1/sub/t1.ibd', B, { chunkSize: 10_000 }),
      ...w.addFile('db1/empty.frm', Buffer.alloc(0)),
    ]);
    const dest = join(dir, 'out');
    const seen: string[] = [];
    const res = await extractXbstream(whole(stream), dest, { onFile: (p, size) => seen.push(`${p}:${size}`) });
    assert.deepEqual(res, { files: 3, bytes: BigInt(A.length + B.length) });
    assert.deepEqual(seen, [`ibdata1:${A.length}`, `db1/sub/t1.ibd:${B.length}`, 'db1/empty.frm:0']);
    assert.ok((await readFile(join(dest, 'ibdata1'))).equals(A));
    assert.ok((await readFile(join(dest, 'db1/sub/t1.ibd'))).equals(B));
    assert.equal((await readFile(join(dest, 'db1/empty.frm'))).length, 0);
    assert.equal((await stat(join(dest, 'ibdata1'))).mode & 0o7777, 0o640);
    assert.equal((await stat(join(dest, 'db1'))).mode & 0o7777, 0o750);
    assert.equal((await stat(join(dest, 'db1/sub'))).mode & 0o7777, 0o750);
  });
});

test('interleaved files (--parallel), in 1-byte and random pieces, with one fd to share', async () => {
  const w = new XbstreamWriter();
  const chunksA = w.addFile('a/x.ibd', A, { chunkSize: 5000 });
  const chunksB = w.addFile('b/y.ibd', B, { chunkSize: 4000 });
  const mixed: Buffer[] = [];
  for (let i = 0; i < Math.max(chunksA.length, chunksB.length); i++) {
    if (chunksA[i]) mixed.push(chunksA[i] as Buffer);
    if (chunksB[i]) mixed.push(chunksB[i] as Buffer);
  }
  const stream = Buffer.concat(mixed);
  const feeds = [
    { name: 'one byte', src: () => oneByteAtATime(stream), maxOpenFiles: 32 },
    { name: 'random', src: () => randomPieces(stream, 7, 5000), maxOpenFiles: 32 },
    { name: 'one fd', src: () => randomPieces(stream, 8, 5000), maxOpenFiles: 1 },
  ];
  for (const feed of feeds) {
    await withTemp(async (dir) => {
      const res = await extractXbstream(feed.src(), dir, { maxOpenFiles: feed.maxOpenFiles, fsync: false });
      assert.equal(res.files, 2, feed.name);
      assert.ok((await readFile(join(dir, 'a/x.ibd'))).equals(A), feed.name);
      assert.ok((await readFile(join(dir, 'b/y.ibd'))).equals(B), feed.name);
    });
  }
});

test('sparse chunks leave holes, including a trailing one', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const stream = Buffer.concat([
      w.sparse('s.ibd', [{ skip: 0, len: 3 }, { skip: 4093, len: 2 }], Buffer.from('abcde')),
      w.payload('s.ibd', Buffer.from('P')),
      w.sparse('s.ibd', [{ skip: 10, len: 1 }, { skip: 8000, len: 0 }], Buffer.from('Z')),
      w.eof('s.ibd'),
    ]);
    const res = await extractXbstream(oneByteAtATime(stream), dir, { fsync: false });
    const expected = Buffer.alloc(3 + 4093 + 2 + 1 + 10 + 1 + 8000);
    expected.write('abc', 0);
    expected.write('de', 4096);
    expected.write('P', 4098);
    expected.write('Z', 4109);
    assert.ok((await readFile(join(dir, 's.ibd'))).equals(expected));
    assert.equal(res.bytes, 7n);
  });
});

test('a chunk out of order (a gap or a repeat) is refused', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const [c0, c1, c2, e] = w.addFile('f', A, { chunkSize: 30_000 }) as [Buffer, Buffer, Buffer, Buffer];
    await extractFails(Buffer.concat([c0, c2, e]), join(dir, 'gap'), /out-of-order chunk for f: offset 60000, expected 30000/);
    await extractFails(Buffer.concat([c0, c0, c1, c2, e]), join(dir, 'repeat'), /offset 0, expected 30000/);
    await extractFails(Buffer.concat([c1, c0, c2, e]), join(dir, 'late start'), /offset 30000, expected 0/);
  });
});

test('a file without its E chunk, data after E, or a second E is refused', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const chunks = w.addFile('db/t.ibd', A, { chunkSize: 30_000 });
    const noEof = Buffer.concat(chunks.slice(0, -1));
    await extractFails(noEof, join(dir, 'noeof'), /before the E chunk of 1 file\(s\): db\/t.ibd/);
    const w2 = new XbstreamWriter();
    const after = Buffer.concat([...chunks, w2.payload('db/t.ibd', Buffer.from('more'))]);
    await extractFails(after, join(dir, 'after'), /data for db\/t.ibd after its E chunk/);
    const twice = Buffer.concat([...chunks, w2.eof('db/t.ibd')]);
    await extractFails(twice, join(dir, 'twice'), /appears again after its E chunk/);
  });
});

test('paths that leave the directory are refused and nothing is written outside', async () => {
  await withTemp(async (dir) => {
    const dest = join(dir, 'dest');
    const w = new XbstreamWriter();
    for (const bad of ['../x', 'a/../../x', '/abs/x', 'a/..', '..']) {
      await extractFails(Buffer.concat(w.addFile(bad, Buffer.from('evil'))), dest, /refused/);
    }
    assert.deepEqual((await readdir(dir)).sort(), ['dest']);
    assert.deepEqual(await readdir(dest), []);
  });
});

test('a symlink planted in the directory is never followed', async () => {
  await withTemp(async (dir) => {
    const dest = join(dir, 'dest');
    const outside = join(dir, 'outside');
    await mkdir(dest);
    await mkdir(outside);
    await symlink(outside, join(dest, 'db'));
    await symlink(join(outside, 'target'), join(dest, 'ibdata1'));
    const w = new XbstreamWriter();
    await extractFails(Buffer.concat(w.addFile('db/t.ibd', Buffer.from('evil'))), dest, /db exists and is not a directory \(a symlink\)/);
    await extractFails(Buffer.concat(w.addFile('db/sub/t.ibd', Buffer.from('evil'))), dest, /not a directory/);
    await extractFails(Buffer.concat(w.addFile('ibdata1', Buffer.from('evil'))), dest, /ibdata1 already exists/);
    assert.deepEqual(await readdir(outside), []);
    assert.ok((await lstat(join(dest, 'db'))).isSymbolicLink());
  });
});

test('a file already in the directory is not overwritten', async () => {
  await withTemp(async (dir) => {
    await writeFile(join(dir, 'keep'), 'original');
    const w = new XbstreamWriter();
    await extractFails(Buffer.concat(w.addFile('keep', Buffer.from('new'))), dir, /already exists/);
    assert.equal(await readFile(join(dir, 'keep'), 'utf8'), 'original');
  });
});

test('a corrupt chunk stops the extraction with IntegrityError', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const stream = Buffer.concat(w.addFile('f', A, { chunkSize: 30_000 }));
    const bad = Buffer.from(stream);
    bad.writeUInt8(bad.readUInt8(40_000) ^ 0xff, 40_000);
    await extractFails(bad, join(dir, 'bad'), /checksum mismatch in chunk at byte \d+ \(f offset 30000\)/);
    await extractFails(stream.subarray(0, stream.length - 3), join(dir, 'cut'), /truncated/);
  });
});

test('a file swapped while its descriptor was lent to another file is detected', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const [a0, a1, aEof] = w.addFile('a', A, { chunkSize: 40_000 }) as [Buffer, Buffer, Buffer];
    const b = w.addFile('b', B);
    async function* source(): AsyncGenerator<Buffer> {
      yield a0;
      yield b[0] as Buffer; // with one fd, 'a' is closed to write 'b'
      await rename(join(dir, 'a'), join(dir, 'a.moved'));
      await writeFile(join(dir, 'a'), 'impostor');
      yield a1;
      yield aEof;
      yield b[1] as Buffer;
    }
    await assert.rejects(extractXbstream(source(), dir, { maxOpenFiles: 1, fsync: false }), /a was replaced during extraction/);
  });
});

test('a trailing hole is kept when an empty P chunk follows it', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const stream = Buffer.concat([
      w.sparse('h.ibd', [{ skip: 0, len: 1 }, { skip: 999, len: 0 }], Buffer.from('x')),
      w.payload('h.ibd', Buffer.alloc(0)),
      w.eof('h.ibd'),
    ]);
    await extractXbstream(whole(stream), dir, { fsync: false });
    assert.equal((await stat(join(dir, 'h.ibd'))).size, 1000);
  });
});

test('chunks are written as they are read: two chunks back is on disk before the next is read', async () => {
  await withTemp(async (dir) => {
    const size = 64 * 1024;
    const chunks = new XbstreamWriter().addFile('f', randomBytes(20 * size, 13), { chunkSize: size });
    let fewest = Infinity;
    async function* source(): AsyncGenerator<Buffer> {
      for (const [k, chunk] of chunks.entries()) {
        // Before chunk k is handed over, chunks 0..k-2 must be on disk.
        const onDisk = k < 2 ? Infinity : (await stat(join(dir, 'f'))).size / size - (k - 1);
        fewest = Math.min(fewest, onDisk);
        yield chunk;
      }
    }
    const res = await extractXbstream(source(), dir, { fsync: false });
    assert.equal(res.files, 1);
    assert.ok(fewest >= 0, `read ${-fewest} chunk(s) too far ahead of the writes`);
  });
});

test('a write or close that fails in the background still fails the extraction', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const stream = Buffer.concat([...w.addFile('a', A, { chunkSize: 10_000 }), ...w.addFile('b', B)]);
    const failing = (path: string): void => {
      if (path === 'a') throw new Error('onFile refused a');
    };
    await assert.rejects(extractXbstream(whole(stream), join(dir, 'x'), { onFile: failing }), /onFile refused a/);
  });
});

test('with fsync, many finished files: every one synced and closed before it resolves, no descriptor left', async () => {
  await withTemp(async (dir) => {
    const w = new XbstreamWriter();
    const names = Array.from({ length: 60 }, (_, i) => `db/t${i}.frm`);
    const stream = Buffer.concat(names.flatMap((n, i) => w.addFile(n, randomBytes(1000 + i, i), { chunkSize: 512 })));
    const openFds = async (): Promise<number> => (await readdir('/proc/self/fd')).length;
    const before = await openFds();
    const res = await extractXbstream(whole(stream), join(dir, 'out'), { fsync: true, maxOpenFiles: 4 });
    assert.equal(res.files, 60);
    assert.equal(await openFds(), before, 'a file descriptor was left open');
    for (const [i, n] of names.entries()) assert.ok((await readFile(join(dir, 'out', n))).equals(randomBytes(1000 + i, i)));
  });
});
