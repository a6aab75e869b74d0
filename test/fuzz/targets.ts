// What each fuzz case feeds its input to. A target returns normally or throws: an ExitError
// (ProtocolError, IntegrityError...) or a system error with a code is a clean refusal; anything
// else (TypeError, RangeError, an assertion) is a crash and fails the run.
import { link, lstat, mkdir, readdir, readlink, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { execa } from 'execa';
import { readLegacyFrames } from '../../src/protocol/legacyFrames.js';
import { StreamReader } from '../../src/protocol/streamReader.js';
import { readV2Frames } from '../../src/protocol/v2Frames.js';
import { readCompressedV2 } from '../../src/protocol/compressionFrames.js';
import { readCountedLines, readLine } from '../../src/server/actions/extraLines.js';
import { acceptedVersions, readRestOfHeader, readVersion } from '../../src/server/header.js';
import { isInside } from '../../src/fsutil/paths.js';
import { checkStagedTree } from '../../src/transfer/stagedTree.js';
import { moveInto } from '../../src/transfer/moveInto.js';
import { receiveIntoDir } from '../../src/transfer/receiveIntoDir.js';
import { parseXbstreamPieces } from '../../src/xbstream/chunks.js';
import { extractXbstream } from '../../src/xbstream/extract.js';
import { compressedFrameSeeds, fixXbstreamChecksums, legacyFrameSeeds, requestSeeds, v2FrameSeeds, xbstreamSeeds } from './corpus.js';
import { piecesOf, type Rng } from './random.js';

export interface Sandbox {
  /** A directory of the run's own; the fuzz cases write nowhere else. */
  dir: string;
}

export interface Target {
  name: string;
  /** Relative share of the cases. */
  weight: number;
  seeds: Buffer[];
  run(input: Buffer, rng: Rng, box: Sandbox, n: number): Promise<void>;
}

function readerOf(rng: Rng, input: Buffer): StreamReader {
  return new StreamReader(Readable.from(piecesOf(rng, input), { objectMode: false }));
}

async function drain(gen: AsyncGenerator<unknown, unknown>): Promise<void> {
  for (let s = await gen.next(); !s.done; s = await gen.next());
}

/** The server's request reader: version, header lines, then the action's extra lines. */
async function readRequest(input: Buffer, rng: Rng): Promise<void> {
  const reader = readerOf(rng, input);
  await readVersion(reader, acceptedVersions(true));
  const header = await readRestOfHeader(reader, '');
  if (header.action === 'create-link') await readCountedLines(reader, 'create-link');
  if (header.action === 'snapshot') {
    await readLine(reader, 'snapshot plugin');
    await readCountedLines(reader, 'snapshot settings');
  }
  if (header.action === 'copy between') await readLine(reader, 'copy between port');
}

// Link targets built from the pieces that make escapes: '..', absolute paths, other links.
function linkTarget(rng: Rng, box: string): string {
  const parts = ['..', '.', 'x', 'dest', 'sub', 'l0', 'l1', 'old', '', box, join(box, '..', 'outside'), '/etc', '/', 'missing'];
  const n = 1 + rng.int(6);
  let t = Array.from({ length: n }, () => rng.pick(parts)).join('/');
  if (rng.int(4) === 0) t = t.replace(/^\/+/, '');
  return t === '' ? '.' : t;
}

/**
 * Property test of the upload link check: stage 1-3 random links (over a destination that
 * may hold a link already), run checkStagedTree, and when it accepts, publish for real and
 * check that every link resolves inside the destination.
 */
async function linkCase(rng: Rng, box: Sandbox, n: number): Promise<void> {
  const base = join(box.dir, 'links', String(n % 4));
  await rm(base, { recursive: true, force: true });
  const dest = join(base, 'a', 'b', 'dest');
  const staging = join(dest, '.zrm-incoming-fuzz');
  await mkdir(join(dest, 'sub', 'deeper'), { recursive: true });
  await mkdir(join(staging, 'sub'), { recursive: true });
  if (rng.int(2) === 0) await symlink(rng.pick(['sub/deeper', 'sub', '.', '..']), join(dest, 'old'));
  const count = 1 + rng.int(3);
  for (let i = 0; i < count; i++) {
    const where = rng.int(3) === 0 ? join(staging, 'sub', `l${i}`) : join(staging, `l${i}`);
    await symlink(linkTarget(rng, box.dir), where);
  }
  let accepted = true;
  try {
    await checkStagedTree(staging, dest, [dest]);
  } catch (err) {
    accepted = false;
    if (!(err instanceof Error) || err.name !== 'IntegrityError') throw err;
  }
  if (!accepted) return;
  await moveInto(staging, dest);
  const root = await realpath(dest);
  for (const rel of ['l0', 'l1', 'l2', 'sub/l0', 'sub/l1', 'sub/l2']) {
    const p = join(dest, rel);
    if (!(await lstat(p).catch(() => undefined))) continue;
    const real = await realpath(p).catch(() => undefined); // dangling: leads nowhere
    if (real !== undefined && !isInside(real, root)) {
      throw new Error(`link check accepted ${rel} -> ${await readlink(p)}, which resolves to ${real}, outside ${root}`);
    }
  }
}

/** Every symbolic link below `dir` that resolves (dangling ones lead nowhere) must stay inside it. */
async function assertLinksInside(dir: string, root: string, rel = ''): Promise<void> {
  for (const name of await readdir(join(dir, rel))) {
    const r = join(rel, name);
    const st = await lstat(join(dir, r));
    if (st.isSymbolicLink()) {
      const real = await realpath(join(dir, r)).catch(() => undefined);
      if (real !== undefined && !isInside(real, root)) {
        throw new Error(`upload published ${r} -> ${await readlink(join(dir, r))}, which resolves to ${real}, outside ${root}`);
      }
    } else if (st.isDirectory()) {
      await assertLinksInside(dir, root, r);
    }
  }
}

/** Tars of a small tree with links inside and out (tar -c keeps links as links), made once. */
async function tarSeeds(box: string): Promise<Buffer[]> {
  const src = join(box, 'tar-src');
  await mkdir(join(src, 'd', 'e'), { recursive: true });
  await writeFile(join(src, 'd', 'f.txt'), 'file');
  await writeFile(join(src, 'd', 'e', 'g.ibd'), Buffer.alloc(700, 3));
  await symlink('f.txt', join(src, 'd', 'in'));
  await symlink('../d/e', join(src, 'd', 'up-in'));
  await symlink('../../outside', join(src, 'd', 'out'));
  await symlink('/etc', join(src, 'abs'));
  await link(join(src, 'd', 'f.txt'), join(src, 'hard'));
  const make = async (names: string[]) => Buffer.from((await execa('tar', ['-c', '-C', src, '--', ...names], { encoding: 'buffer' })).stdout);
  return [await make(['d', 'hard']), await make(['d/e', 'd/f.txt', 'd/in']), await make(['abs', 'd/out'])];
}

/** A mutated tar through the whole upload path: tar -x into staging, link check, publish. */
async function uploadTarCase(input: Buffer, box: Sandbox, n: number): Promise<void> {
  const dest = join(box.dir, 'uploads', String(n % 4), 'dest');
  await rm(join(box.dir, 'uploads', String(n % 4)), { recursive: true, force: true });
  await mkdir(dest, { recursive: true });
  try {
    await receiveIntoDir(Readable.from([input]), 'tar', dest, { allowEmpty: true });
  } finally {
    await assertLinksInside(dest, await realpath(dest));
  }
}

export async function makeTargets(box: Sandbox): Promise<Target[]> {
  return [
    { name: 'request', weight: 30, seeds: requestSeeds(), run: (input, rng) => readRequest(input, rng) },
    { name: 'legacy-frames', weight: 18, seeds: await legacyFrameSeeds(), run: (input, rng) => drain(readLegacyFrames(readerOf(rng, input))) },
    { name: 'v2-frames', weight: 20, seeds: await v2FrameSeeds(), run: (input, rng) => drain(readV2Frames(readerOf(rng, input))) },
    { name: 'v2-gzip-frames', weight: 8, seeds: await compressedFrameSeeds(), run: (input, rng) => drain(readCompressedV2(readerOf(rng, input), 'gzip')) },
    {
      name: 'xbstream-parse',
      weight: 24,
      seeds: await xbstreamSeeds(),
      run: (input, rng) => drain(parseXbstreamPieces(Readable.from(piecesOf(rng, rng.int(2) === 0 ? fixXbstreamChecksums(input) : input)))),
    },
    {
      name: 'xbstream-extract',
      weight: 2,
      seeds: await xbstreamSeeds(),
      run: async (input, rng, box, n) => {
        const dest = join(box.dir, 'xb', String(n % 8));
        await rm(dest, { recursive: true, force: true });
        await extractXbstream(Readable.from(piecesOf(rng, rng.int(2) === 0 ? fixXbstreamChecksums(input) : input)), dest, { fsync: false, maxFileSize: 1n << 30n });
      },
    },
    { name: 'upload-links', weight: 6, seeds: [], run: (_input, rng, b, n) => linkCase(rng, b, n) },
    // tar -x is the one process a case may start (the tool the upload path runs).
    { name: 'upload-tar', weight: 2, seeds: await tarSeeds(box.dir), run: (input, _rng, b, n) => uploadTarCase(input, b, n) },
  ];
}

/** Whether `err` is a clean refusal rather than a crash. */
export function isCleanRefusal(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (['ExitError', 'ProtocolError', 'IntegrityError', 'VersionRefused', 'PathRefused'].includes(err.name)) return true;
  if (err instanceof Error && 'exitCode' in err) return true;
  // A system call's refusal (ENAMETOOLONG, ENOTDIR...) names its errno: not a crash.
  return typeof (err as NodeJS.ErrnoException).code === 'string' && (err as NodeJS.ErrnoException).syscall !== undefined;
}

export async function listDir(dir: string): Promise<string[]> {
  return (await readdir(dir).catch(() => [])).sort();
}
