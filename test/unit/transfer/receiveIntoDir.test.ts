import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { ExitError, IntegrityError, ProtocolError } from '../../../src/errors.js';
import { HOT_BACKUP_FILES } from '../../../src/restore/backupFiles.js';
import { receiveIntoDir } from '../../../src/transfer/receiveIntoDir.js';
import { XbstreamWriter } from '../../../src/xbstream/writer.js';
import { withTempDir } from '../../helpers/tempDir.js';

const withTemp = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('zrm-receive-', fn);

async function tarOf(dir: string, names: string[]): Promise<Buffer> {
  return Buffer.from((await execa('tar', ['-c', '-C', dir, '--', ...names], { encoding: 'buffer' })).stdout);
}

async function* pieces(data: Buffer, size = 3000): AsyncGenerator<Buffer> {
  for (let i = 0; i < data.length; i += size) yield data.subarray(i, i + size);
}

async function* failingAfter(data: Buffer, err: Error): AsyncGenerator<Buffer> {
  yield data.subarray(0, Math.floor(data.length / 2));
  throw err;
}

async function* nothing(): AsyncGenerator<Buffer> {
  // an empty stream
}

/** A source tree: top.txt and sub/new.txt, plus its tar. */
async function sourceTree(root: string): Promise<Buffer> {
  const src = join(root, 'src');
  await mkdir(join(src, 'sub'), { recursive: true });
  await writeFile(join(src, 'top.txt'), 'new top');
  await writeFile(join(src, 'sub', 'new.txt'), 'new');
  return tarOf(src, ['top.txt', 'sub']);
}

test('tar: the stream lands in the destination, merged into directories already there', () =>
  withTemp(async (root) => {
    const tar = await sourceTree(root);
    const dest = join(root, 'dest');
    await mkdir(join(dest, 'sub'), { recursive: true });
    await writeFile(join(dest, 'sub', 'old.txt'), 'old');
    await writeFile(join(dest, 'top.txt'), 'old top');
    const r = await receiveIntoDir(pieces(tar), 'tar', dest);
    assert.equal(r.bytes, tar.length);
    assert.deepEqual((await readdir(dest)).sort(), ['sub', 'top.txt'], 'no staging directory is left');
    assert.deepEqual((await readdir(join(dest, 'sub'))).sort(), ['new.txt', 'old.txt']);
    assert.equal(await readFile(join(dest, 'top.txt'), 'utf8'), 'new top', 'a file of the stream replaces an older one');
  }));

test('a source that fails half way: error, the destination untouched, the staging directory removed', () =>
  withTemp(async (root) => {
    const tar = await sourceTree(root);
    const dest = join(root, 'dest');
    await mkdir(dest);
    await writeFile(join(dest, 'keep'), 'k');
    await assert.rejects(receiveIntoDir(failingAfter(tar, new Error('connection reset')), 'tar', dest), (err: unknown) =>
      err instanceof ExitError && /receiving into .* failed: connection reset/.test(err.message));
    assert.deepEqual(await readdir(dest), ['keep']);
    // Our own errors keep their type (and exit code).
    await assert.rejects(receiveIntoDir(failingAfter(tar, new IntegrityError('SHA-256 differs')), 'tar', dest), IntegrityError);
    await assert.rejects(receiveIntoDir(failingAfter(tar, new ProtocolError('cut')), 'tar', dest), ProtocolError);
    assert.deepEqual(await readdir(dest), ['keep']);
  }));

test('a stream tar cannot read: error from tar -x, nothing left behind', () =>
  withTemp(async (root) => {
    const dest = join(root, 'dest');
    await mkdir(dest);
    const tar = await sourceTree(root);
    const truncated = tar.subarray(0, 700); // a header and part of a file
    await assert.rejects(receiveIntoDir(pieces(Buffer.concat([truncated])), 'tar', dest), (err: unknown) =>
      err instanceof ExitError && /tar -x exited 2/.test(err.message));
    await assert.rejects(receiveIntoDir(pieces(Buffer.alloc(5000, 0x41)), 'tar', dest), /tar -x exited/);
    assert.deepEqual(await readdir(dest), []);
  }));

test('an empty stream is refused, saying what it means, unless allowEmpty', () =>
  withTemp(async (root) => {
    const dest = join(root, 'dest');
    await mkdir(dest);
    for (const format of ['tar', 'xbstream'] as const) {
      await assert.rejects(receiveIntoDir(nothing(), format, dest), (err: unknown) =>
        err instanceof IntegrityError && /empty stream/.test(err.message), format);
      assert.deepEqual(await readdir(dest), [], format);
      const r = await receiveIntoDir(nothing(), format, dest, { allowEmpty: true });
      assert.equal(r.bytes, 0, format);
      assert.deepEqual(await readdir(dest), [], format);
    }
  }));

test('xbstream: extracted natively, then moved in', () =>
  withTemp(async (root) => {
    const dest = join(root, 'dest');
    await mkdir(join(dest, 'shop'), { recursive: true });
    await writeFile(join(dest, 'shop', 'old.ibd'), 'old');
    const w = new XbstreamWriter();
    const stream = Buffer.concat([...w.addFile('ibdata1', Buffer.alloc(9000, 1)), ...w.addFile('shop/t.ibd', Buffer.from('t'))]);
    const r = await receiveIntoDir(pieces(stream, 1000), 'xbstream', dest);
    assert.equal(r.bytes, stream.length);
    assert.deepEqual((await readdir(dest)).sort(), ['ibdata1', 'shop']);
    assert.deepEqual((await readdir(join(dest, 'shop'))).sort(), ['old.ibd', 't.ibd']);
    assert.deepEqual(await readFile(join(dest, 'ibdata1')), Buffer.alloc(9000, 1));
  }));

test('xbstream that breaks its rules (a file without its end chunk): refused, nothing left', () =>
  withTemp(async (root) => {
    const dest = join(root, 'dest');
    await mkdir(dest);
    const w = new XbstreamWriter();
    const stream = w.payload('ibdata1', Buffer.alloc(100, 1));
    await assert.rejects(receiveIntoDir(pieces(stream), 'xbstream', dest), ExitError);
    assert.deepEqual(await readdir(dest), []);
  }));

/** `data` in 4 KiB pieces, each copied into the same buffer: what a decoder that reuses its output does. */
async function* throughOneBuffer(data: Buffer, size = 4096): AsyncGenerator<Buffer> {
  const buf = Buffer.alloc(size);
  for (let i = 0; i < data.length; i += size) {
    const n = data.copy(buf, 0, i, i + size);
    yield buf.subarray(0, n);
    buf.fill(0xee); // the next step overwrites whatever tar has not taken yet
  }
}

test('tar: each piece is handed to tar whole before the next is asked for (a source may reuse its buffer)', () =>
  withTemp(async (root) => {
    const src = join(root, 'src');
    await mkdir(src);
    // Bigger than a pipe, in pieces smaller than its high-water mark: some writes queue.
    const payload = Buffer.alloc(8 * 1024 * 1024);
    for (let i = 0; i < payload.length; i += 4) payload.writeUInt32LE(i, i);
    await writeFile(join(src, 'big.bin'), payload);
    const dest = join(root, 'dest');
    await mkdir(dest);
    await receiveIntoDir(throughOneBuffer(await tarOf(src, ['big.bin'])), 'tar', dest);
    assert.ok((await readFile(join(dest, 'big.bin'))).equals(payload), 'the file arrived as it was');
  }));

test('fault: backup tool exits 0 with "completed OK!" but its stream is cut short | both | no xtrabackup_checkpoints arrived: copy plugin exits 6; nothing published', () =>
  withTemp(async (root) => {
    // Whole as a tar, and as an xbstream: only the backup's marker is missing.
    const src = join(root, 'src');
    await mkdir(join(src, 'sbtest'), { recursive: true });
    await writeFile(join(src, 'ibdata1'), 'system tablespace');
    await writeFile(join(src, 'sbtest', 't1.ibd'), 'table');
    const tar = await tarOf(src, ['ibdata1', 'sbtest']);
    const xb = new XbstreamWriter();
    const parts = xb.addFile('ibdata1', Buffer.from('system tablespace'));
    for (const [format, stream] of [['tar', tar], ['xbstream', Buffer.concat(parts)]] as const) {
      const dest = join(root, `dest-${format}`);
      await mkdir(dest);
      await assert.rejects(receiveIntoDir(pieces(stream), format, dest, { requireFiles: HOT_BACKUP_FILES }), (err: unknown) =>
        err instanceof IntegrityError && /no xtrabackup_checkpoints or mariadb_backup_checkpoints/.test(err.message));
      assert.deepEqual(await readdir(dest), [], `${format}: nothing may be published`);
    }
    // Cut after the checkpoints, before the files the tools write last.
    await writeFile(join(src, 'xtrabackup_checkpoints'), 'backup_type = full-backuped\n');
    const dest = join(root, 'dest-cut-late');
    await mkdir(dest);
    await assert.rejects(receiveIntoDir(pieces(await tarOf(src, ['ibdata1', 'sbtest', 'xtrabackup_checkpoints'])), 'tar', dest, { requireFiles: HOT_BACKUP_FILES }), (err: unknown) =>
      err instanceof IntegrityError && /no backup-my\.cnf/.test(err.message));
    assert.deepEqual(await readdir(dest), [], 'nothing may be published');
  }));

test('the staging left by a receiver that was killed is removed by the next receive into that directory; a live one is left alone', () =>
  withTemp(async (root) => {
    const tar = await sourceTree(root);
    const dest = join(root, 'dest');
    const dead = join(dest, '.zrm-incoming-2147483646-AbCdEf');
    const live = join(dest, `.zrm-incoming-${process.pid}-GhIjKl`);
    await mkdir(join(dead, 'sbtest'), { recursive: true });
    await writeFile(join(dead, 'sbtest', 'partial.ibd'), 'half of it');
    await mkdir(live, { recursive: true });
    await receiveIntoDir(pieces(tar), 'tar', dest);
    assert.deepEqual((await readdir(dest)).sort(), [`.zrm-incoming-${process.pid}-GhIjKl`, 'sub', 'top.txt']);
  }));

test("MariaDB 11's mariadb_backup_* names mark a whole hot backup as well", () =>
  withTemp(async (root) => {
    const src = join(root, 'src');
    await mkdir(src);
    await writeFile(join(src, 'ibdata1'), 'system tablespace');
    await writeFile(join(src, 'mariadb_backup_checkpoints'), 'backup_type = full-backuped\n');
    await writeFile(join(src, 'backup-my.cnf'), '[mysqld]\n');
    await writeFile(join(src, 'mariadb_backup_info'), 'tool_name = mariadb-backup\n');
    const names = ['backup-my.cnf', 'ibdata1', 'mariadb_backup_checkpoints', 'mariadb_backup_info'];
    const dest = join(root, 'dest');
    await mkdir(dest);
    await receiveIntoDir(pieces(await tarOf(src, names)), 'tar', dest, { requireFiles: HOT_BACKUP_FILES });
    assert.deepEqual((await readdir(dest)).sort(), names);
  }));
