import { test } from 'node:test';
import assert from 'node:assert/strict';
import { link, mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { LEGACY_CHUNK } from '../../../src/protocol/legacyFrames.js';
import { TarWalker } from '../../../src/tar/walker.js';
import { withTempDir } from '../../helpers/tempDir.js';

// The walker's safe cuts are what lets a 1.8b5 stream go out before its producer has finished:
// every one of them must make GNU tar fail, or a server that dies there leaves an old client
// with a partial backup that tar calls whole.

/** A tree with every kind of member our server's tar sends, and that tar, made as the server makes it. */
async function sampleTar(root: string): Promise<Buffer> {
  const src = join(root, 'src');
  await mkdir(join(src, 'd', 'e'), { recursive: true });
  const sizes: Record<string, number> = { one: 1, small: 100, block: 512, odd: 3000, chunks: 2 * LEGACY_CHUNK + 7, big: 50_000, empty: 0 };
  for (const [name, size] of Object.entries(sizes)) await writeFile(join(src, name), Buffer.alloc(size, name.charCodeAt(0)));
  await writeFile(join(src, 'zeros'), Buffer.alloc(20_000)); // data made of zero blocks, as innobackupex streams hold
  await writeFile(join(src, 'd', 'e', `${'long-name-'.repeat(12)}.ibd`), Buffer.alloc(4000, 7));
  await symlink('odd', join(src, 'link')); // followed (-h): a regular file on the wire
  await link(join(src, 'big'), join(src, 'hard')); // a hard link: no data
  return Buffer.from((await execa('tar', ['--same-owner', '-c', '-p', '-h', '-C', src, '--', '.'], { encoding: 'buffer' })).stdout);
}

async function tarExitOn(prefix: Buffer, root: string, n: number): Promise<number> {
  const dest = join(root, `x${n}`);
  await mkdir(dest);
  const r = await execa('tar', ['--same-owner', '-x', '-i', '-p', '-C', dest], { input: prefix, reject: false });
  return r.exitCode ?? -1;
}

/** Every distinct safe cut the walker reports, feeding it `pieceSize` bytes at a time. */
function safeCuts(data: Buffer, pieceSize: number, granularity = 1): number[] {
  const w = new TarWalker({ granularity });
  const cuts: number[] = [];
  for (let o = 0; o < data.length; o += pieceSize) {
    w.push(data.subarray(o, o + pieceSize));
    assert.ok(w.lastSafeCut <= w.position, 'a cut is never past what was walked');
    if (w.lastSafeCut !== (cuts.at(-1) ?? -1)) {
      assert.ok(w.lastSafeCut > (cuts.at(-1) ?? -1), 'safe cuts only move forward');
      cuts.push(w.lastSafeCut);
    }
  }
  return cuts;
}

test('every cut the walker calls safe makes GNU tar fail, and one comes inside each file with data', () =>
  withTempDir('zrm-walker-', async (root) => {
    const data = await sampleTar(root);
    const cuts = safeCuts(data, 1);
    // Spread over the stream: the first and the last cut of each run of consecutive offsets
    // (a file's data), and some between.
    const sample = new Set<number>();
    cuts.forEach((c, i) => {
      if (cuts[i - 1] !== c - 1 || cuts[i + 1] !== c + 1 || i % 997 === 0) sample.add(c);
    });
    assert.ok(sample.size >= 20, `expected cuts in every file with data, got ${sample.size}`);
    let n = 0;
    for (const cut of sample) assert.notEqual(await tarExitOn(data.subarray(0, cut), root, n++), 0, `tar exits 0 on the stream cut at ${cut}`);
    // Fed in other pieces, the same cuts are reached.
    assert.deepEqual(safeCuts(data, 4096).at(-1), cuts.at(-1));
    // The whole stream is fine for tar, and what the walker has is where an archive may end.
    assert.equal(await tarExitOn(data, root, n++), 0);
  }));

test('at a granularity, the safe cuts are its multiples, and still make tar fail', () =>
  withTempDir('zrm-walker-', async (root) => {
    const data = await sampleTar(root);
    const cuts = safeCuts(data, 1000, LEGACY_CHUNK);
    assert.ok(cuts.length >= 3, `expected several cuts, got ${cuts.join(',')}`);
    let n = 0;
    for (const cut of cuts) {
      assert.equal(cut % LEGACY_CHUNK, 0);
      assert.notEqual(await tarExitOn(data.subarray(0, cut), root, n++), 0, `tar exits 0 on the stream cut at ${cut}`);
    }
  }));

test('a block that is not a tar header is refused with its position', () => {
  const w = new TarWalker();
  assert.throws(() => w.push(Buffer.alloc(512, 0x41)), /not a tar header after 512 bytes/);
});
