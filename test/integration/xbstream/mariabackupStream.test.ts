// Real `mariabackup --backup --stream=xbstream` output, extracted by our reader and by
// `mbstream -x`: the two trees must be identical, and ours must prepare.
import { after, before, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, mkdir, readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { receiveIntoDir } from '../../../src/transfer/receiveIntoDir.js';
import { extractXbstream } from '../../../src/xbstream/extract.js';
import { parseXbstream } from '../../../src/xbstream/chunks.js';
import { loadSampleData, startMariaDb, tableChecksums, writeBackupOptionFile, type MariaDb } from '../../helpers/mariadb.js';
import { makeTempDir } from '../../helpers/tempDir.js';
import { randomPieces } from '../../unit/xbstream/streamPieces.js';

let tmp: { path: string; cleanup: () => Promise<void> };
let db: MariaDb;
let optionFile: string;

before(async () => {
  tmp = await makeTempDir('zrm-xbs-it-');
  db = await startMariaDb(join(tmp.path, 'db'));
  await loadSampleData(db, 'xbs', 3, 1000); // about 3 MB of InnoDB pages
  optionFile = join(tmp.path, 'backup.cnf');
  await writeBackupOptionFile(db, optionFile);
});

after(async () => {
  await db?.stop();
  await tmp?.cleanup();
});

/** Every entry under `dir`: 'd' for a directory, else the SHA-256 of the file's bytes. */
async function tree(dir: string, prefix = ''): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for (const name of (await readdir(join(dir, prefix))).sort()) {
    const rel = prefix === '' ? name : `${prefix}/${name}`;
    const st = await lstat(join(dir, rel));
    if (st.isDirectory()) {
      out.set(rel, 'd');
      for (const [k, v] of await tree(dir, rel)) out.set(k, v);
    } else {
      assert.ok(st.isFile(), `${rel} is neither a file nor a directory`);
      out.set(rel, createHash('sha256').update(await readFile(join(dir, rel))).digest('hex'));
    }
  }
  return out;
}

async function backupToFile(name: string, extra: string[]): Promise<string> {
  const xbs = join(tmp.path, `${name}.xbs`);
  const target = join(tmp.path, `${name}-target`);
  await mkdir(target);
  // The option file must come first: mariabackup only honours --defaults-extra-file there.
  const r = await execa(
    'mariabackup',
    [`--defaults-extra-file=${optionFile}`, '--backup', '--stream=xbstream', `--target-dir=${target}`, ...extra],
    { stdout: { file: xbs }, reject: false },
  );
  assert.equal(r.exitCode, 0, `mariabackup failed:\n${r.stderr}`);
  assert.match(r.stderr.trimEnd(), /completed OK!$/);
  return xbs;
}

/** How many files were open (data seen, E not yet) at once: > 1 means they interleaved. */
async function maxOpenAtOnce(xbs: string): Promise<number> {
  const open = new Set<string>();
  let max = 0;
  for await (const c of parseXbstream(createReadStream(xbs))) {
    if (c.kind === 'eof') open.delete(c.path);
    else open.add(c.path);
    max = Math.max(max, open.size);
  }
  return max;
}

async function extractBothAndCompare(t: TestContext, name: string, xbs: string): Promise<string> {
  const ours = join(tmp.path, `${name}-ours`);
  const theirs = join(tmp.path, `${name}-mbstream`);
  const res = await extractXbstream(createReadStream(xbs, { highWaterMark: 1 << 20 }), ours);
  await mkdir(theirs);
  await execa('mbstream', ['-x', '-C', theirs], { inputFile: xbs });

  const [a, b] = await Promise.all([tree(ours), tree(theirs)]);
  assert.deepEqual([...a.keys()], [...b.keys()], 'the same paths');
  assert.deepEqual(a, b, 'the same bytes');
  const files = [...a.values()].filter((v) => v !== 'd').length;
  assert.equal(res.files, files);
  // Tables created after the last checkpoint come as `<name>.new` and become .ibd at --prepare.
  for (const must of ['ibdata1', 'xtrabackup_checkpoints', 'backup-my.cnf', 'xbs/t0.frm', 'xbs/t2.frm']) {
    assert.ok(a.has(must), `${must} extracted`);
  }
  t.diagnostic(`${name}: ${res.files} files, ${res.bytes} bytes, up to ${await maxOpenAtOnce(xbs)} open at once`);
  return ours;
}

/**
 * The same stream through the client's path (receiveIntoDir: staging, then publish), arriving
 * in the 64 KiB pieces a socket hands over and in random pieces of up to 100 KiB (chunk
 * headers and payloads cut anywhere): each result must be mbstream's tree, byte for byte.
 */
async function receiveAsClientAndCompare(name: string, xbs: string): Promise<void> {
  const theirs = await tree(join(tmp.path, `${name}-mbstream`));
  const bytes = await readFile(xbs);
  const sources: Array<[string, () => AsyncIterable<Buffer>]> = [
    ['64k', () => createReadStream(xbs, { highWaterMark: 64 * 1024 })],
    ['random', () => randomPieces(bytes, 4242, 100 * 1024)],
  ];
  for (const [how, source] of sources) {
    const dest = join(tmp.path, `${name}-client-${how}`);
    await mkdir(dest);
    await receiveIntoDir(source(), 'xbstream', dest);
    assert.deepEqual(await tree(dest), theirs, `${how} pieces: the same paths and bytes as mbstream`);
  }
}

async function prepare(dir: string): Promise<void> {
  const r = await execa('mariabackup', [`--defaults-extra-file=${optionFile}`, '--prepare', `--target-dir=${dir}`], { reject: false });
  assert.equal(r.exitCode, 0, `mariabackup --prepare failed:\n${r.stderr}`);
  assert.match(r.stderr.trimEnd(), /completed OK!$/);
  for (let i = 0; i < 3; i++) await lstat(join(dir, `xbs/t${i}.ibd`)); // throws if missing
}

test('a streamed backup extracts exactly as mbstream extracts it, and prepares', async (t) => {
  const ours = await extractBothAndCompare(t, 'plain', await backupToFile('plain', []));
  await prepare(ours);
});

test('the same with --parallel=2 (files interleave in the stream); the result restores', async (t) => {
  const ours = await extractBothAndCompare(t, 'parallel', await backupToFile('parallel', ['--parallel=2']));
  await prepare(ours);
  const restored = await startMariaDb(join(tmp.path, 'restored'), { datadir: ours, initialise: false });
  try {
    assert.deepEqual(await tableChecksums(restored, 'xbs'), await tableChecksums(db, 'xbs'));
  } finally {
    await restored.stop();
  }
});

test('--parallel=4: chunks of several files interleave in one stream, and our reader extracts exactly what mbstream does', async (t) => {
  // Whether the threads' chunks interleave depends on scheduling (small files may each fit one
  // chunk): take another backup until one does, so the reader is shown an interleaved stream.
  let xbs = '';
  let interleaved = 0;
  for (let attempt = 1; attempt <= 5 && interleaved <= 1; attempt++) {
    xbs = await backupToFile(`parallel4-${attempt}`, ['--parallel=4']);
    interleaved = await maxOpenAtOnce(xbs);
  }
  assert.ok(interleaved > 1, `the stream should interleave files (at most ${interleaved} open at once in 5 backups)`);
  const ours = await extractBothAndCompare(t, 'parallel4', xbs);
  await receiveAsClientAndCompare('parallel4', xbs);
  await prepare(ours);
});
