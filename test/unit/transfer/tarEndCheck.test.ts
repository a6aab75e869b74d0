import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { IntegrityError } from '../../../src/errors.js';
import { legacyFailureFrame } from '../../../src/protocol/legacyFrames.js';
import { TarEndCheck } from '../../../src/transfer/tarEndCheck.js';
import { receiveIntoDir } from '../../../src/transfer/receiveIntoDir.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// A 1.8b5 stream has no end marker: tar's own end-of-archive blocks are the only proof that a
// stream cut between two members is not taken for a whole backup (issue 8, case 2c).

async function tarOf(dir: string, names: string[]): Promise<Buffer> {
  const r = await execa('tar', ['-c', '-C', dir, '--', ...names], { encoding: 'buffer', stripFinalNewline: false });
  return Buffer.from(r.stdout);
}

function verdict(data: Buffer, pieces = 7): Error | null {
  const c = new TarEndCheck();
  try {
    const step = Math.max(1, Math.floor(data.length / pieces));
    for (let o = 0; o < data.length; o += step) c.push(data.subarray(o, o + step));
    c.finish();
    return null;
  } catch (err) {
    return err as Error;
  }
}

async function withFiles(fn: (dir: string, root: string) => Promise<void>): Promise<void> {
  const tmp = await makeTempDir('zrm-tarend-');
  try {
    const dir = join(tmp.path, 'src');
    await mkdir(dir);
    await writeFile(join(dir, 'a'), 'first\n');
    await writeFile(join(dir, 'zeros'), Buffer.alloc(5000)); // data that ends in zero blocks
    await writeFile(join(dir, 'xtrabackup_checkpoints'), 'backup_type = full-backuped\n');
    await fn(dir, tmp.path);
  } finally {
    await tmp.cleanup();
  }
}

test('tar end: a whole archive passes, whatever the chunking', () =>
  withFiles(async (dir) => {
    const whole = await tarOf(dir, ['a', 'zeros', 'xtrabackup_checkpoints']);
    for (const pieces of [1, 3, 100]) assert.equal(verdict(whole, pieces), null);
  }));

test('tar end: two archives back to back (zero blocks mid-stream, as innobackupex sends) pass', () =>
  withFiles(async (dir) => {
    const two = Buffer.concat([await tarOf(dir, ['a']), await tarOf(dir, ['zeros'])]);
    assert.equal(verdict(two), null);
  }));

test('tar end: a stream cut between members fails, even after a member of zeros', () =>
  withFiles(async (dir) => {
    const whole = await tarOf(dir, ['a', 'zeros', 'xtrabackup_checkpoints']);
    // a: header + 1 block; zeros: header + 10 blocks. Cut right after zeros' last data block.
    const cut = whole.subarray(0, 512 * (2 + 11));
    const err = verdict(cut);
    assert.ok(err instanceof IntegrityError);
    assert.match(err.message, /without tar's end-of-archive blocks/);
    assert.match(verdict(whole.subarray(0, 512 * 2 + 100))?.message ?? '', /cut inside a member/);
  }));

test('tar end: the 1.8b5 failure frame is not a tar header', () =>
  withFiles(async (dir) => {
    // Decoded by Perl's own unpack("u*"), as a 1.8b5 client does.
    const perl = await execa('perl', ['-e', 'binmode STDIN; binmode STDOUT; local $/; my $f = <STDIN>; print unpack("u*", substr($f, 4))'], {
      input: legacyFailureFrame(),
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    const junk = Buffer.from(perl.stdout);
    assert.ok(junk.length >= 1024);
    const partial = (await tarOf(dir, ['a'])).subarray(0, 1024);
    for (const data of [junk, Buffer.concat([partial, junk])]) {
      assert.match(verdict(data)?.message ?? '', /not a tar header/);
    }
  }));

test('fault: connection cut between two frames after a tar member | 1.8b5 | our copy plugin exits non-zero: no end-of-archive blocks; destination empty', () =>
  withFiles(async (dir, root) => {
    const dest = join(root, 'dest');
    await mkdir(dest);
    const whole = await tarOf(dir, ['a', 'zeros', 'xtrabackup_checkpoints']);
    const cut = whole.subarray(0, 512 * 13);
    async function* of(b: Buffer) {
      yield b;
    }
    await assert.rejects(receiveIntoDir(of(cut), 'tar', dest, { requireTarEnd: true }), /end-of-archive/);
    assert.deepEqual(await readdir(dest), []);
    await receiveIntoDir(of(whole), 'tar', dest, { requireTarEnd: true });
    assert.deepEqual((await readdir(dest)).sort(), ['a', 'xtrabackup_checkpoints', 'zeros']);
  }));
