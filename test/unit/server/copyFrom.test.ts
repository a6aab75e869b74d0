import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { armState, ensureStateDir } from '../../../src/snapshot/state.js';
import { LEGACY_CHUNK, encodeLegacyFrame, legacyFailureFrame, readLegacyFrames } from '../../../src/protocol/legacyFrames.js';
import { readV2Frames } from '../../../src/protocol/v2Frames.js';
import { FIXTURES, LEGACY_VERSION, V2_VERSION, collect, header, readerOf, serve, withServerEnv } from './harness.js';

/** What GNU tar lists in an archive: `tar -t`, or `tar -tv` type letters and names. */
async function tarList(archive: Buffer, verbose = false): Promise<string[]> {
  const r = await execa('tar', [verbose ? '-tvf' : '-tf', '-'], { input: archive });
  const lines = r.stdout.split('\n').filter((l) => l !== '');
  return verbose ? lines.map((l) => `${l[0]} ${l.split(/\s+/).slice(5).join(' ')}`) : lines;
}

/** Exactly what src/tar/tar.ts startTarCreate runs, as a buffer. */
async function referenceTar(dir: string, names: string[]): Promise<Buffer> {
  const r = await execa('tar', ['--same-owner', '-c', '-p', '-h', '-C', dir, '--', ...names], { encoding: 'buffer', cwd: '/' });
  return Buffer.from(r.stdout);
}

/** The first line of a reply (never a whole binary reply in an assertion message) and what follows. */
function firstLine(out: Buffer): { line: string; after: Buffer } {
  const nl = out.indexOf(0x0a);
  if (nl < 0) return { line: `<no line in ${out.length} bytes>`, after: Buffer.alloc(0) };
  return { line: out.subarray(0, Math.min(nl, 500)).toString('latin1'), after: out.subarray(nl + 1) };
}

/** Splits a 1.8b5 stream into its frames' decoded sizes, checking each length prefix. */
function legacyFrameSizes(wire: Buffer): number[] {
  const sizes: number[] = [];
  for (let o = 0; o < wire.length; ) {
    const len = wire.readUInt32BE(o);
    const text = wire.subarray(o + 4, o + 4 + len);
    assert.equal(text.length, len, 'frame cut short');
    // Every uuencoded line's first character says how many bytes it holds.
    sizes.push(text.toString('latin1').split('\n').filter((l) => l !== '').reduce((n, l) => n + ((l.charCodeAt(0) - 32) & 0x3f), 0));
    o += 4 + len;
  }
  return sizes;
}

test('1.8b5 copy from, nothing armed: exactly the old frames of 10240 bytes over a tar of that one file', () =>
  withServerEnv(async (env) => {
    const dir = join(env.data, 'binlogs');
    await mkdir(dir);
    const payload = randomBytes(25_000);
    await writeFile(join(dir, 'mysql-bin.000003'), payload);
    await writeFile(join(dir, 'mysql-bin.000004'), 'not asked for');
    const r = await serve(env, [header(LEGACY_VERSION, 'copy from', join(dir, 'mysql-bin.000003'), env.tmp)]);
    assert.equal(r.status, 0, r.log);

    const archive = await collect(readLegacyFrames(readerOf(r.output)));
    assert.deepEqual(await tarList(archive), ['mysql-bin.000003']);
    const sizes = legacyFrameSizes(r.output);
    assert.ok(sizes.length >= 3, `expected several frames, got ${sizes.join(',')}`);
    assert.ok(sizes.every((n) => n === LEGACY_CHUNK), `frames of ${sizes.join(',')} bytes`);

    const reference = await referenceTar(dir, ['mysql-bin.000003']);
    const frames: Buffer[] = [];
    for (let o = 0; o < reference.length; o += LEGACY_CHUNK) frames.push(encodeLegacyFrame(reference.subarray(o, o + LEGACY_CHUNK)));
    assert.ok(r.output.equals(Buffer.concat(frames)), 'the wire must be byte for byte what the old server sent');
    assert.match(r.log, /action='copy from'.*outcome=OK/);
  }));

test("copy from a link: the files it points to (tar -h)", () =>
  withServerEnv(async (env) => {
    const backup = join(env.data, 'backup');
    const links = join(backup, 'LINKS');
    const datadir = join(env.data, 'datadir');
    await mkdir(join(datadir, 'shop'), { recursive: true });
    await writeFile(join(datadir, 'shop', 't.ibd'), 'table data');
    await mkdir(links, { recursive: true });
    await writeFile(join(backup, 'sibling'), 'must not be sent');
    await symlink(join(datadir, 'shop'), join(links, 'shop'));
    const r = await serve(env, [header(V2_VERSION, 'copy from', `${links}/.`, env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, after } = firstLine(r.output);
    assert.equal(line, 'OK tar');
    const archive = await collect(readV2Frames(readerOf(after)));
    // tar -h: the link is sent as the directory it points to.
    assert.deepEqual((await tarList(archive, true)).sort(), ['- ./shop/t.ibd', 'd ./', 'd ./shop/']);
  }));

for (const form of ['ZRM_LINKS/.', 'ZRM_LINKS', 'ZRM_LINKS/']) {
  test(form === 'ZRM_LINKS/.' ? 'fault: copy from ZRM_LINKS while nothing is armed | both | copy plugin exits non-zero "no backup run is armed on this host"; no tar of live files' : `copy from '<dir>/${form}' with nothing armed is refused`, () =>
    withServerEnv(async (env) => {
      const links = join(env.data, 'backup', 'ZRM_LINKS');
      await mkdir(join(env.data, 'datadir'), { recursive: true });
      await writeFile(join(env.data, 'datadir', 'ibdata1'), 'live');
      await mkdir(links, { recursive: true });
      await symlink(join(env.data, 'datadir'), join(links, 'datadir'));
      const path = join(env.data, 'backup', form);
      const v2 = await serve(env, [header(V2_VERSION, 'copy from', path, env.tmp)]);
      assert.equal(v2.status, 1);
      const { line, after } = firstLine(v2.output);
      assert.match(line, /^ERROR copy from .* refused: no backup run is armed on this host/);
      assert.equal(after.length, 0);
      const legacy = await serve(env, [header(LEGACY_VERSION, 'copy from', path, env.tmp)]);
      assert.equal(legacy.status, 1);
      assert.equal(legacy.output.length, 0, 'no tar of live files');
      assert.match(legacy.log, /no backup run is armed/);
    }));
}

test("copy from ZRM_LINKS of another backup set than the armed one is refused, without telling the client which run is armed", () =>
  withServerEnv(async (env) => {
    await ensureStateDir(env.state);
    await armState(env.state, { user: 'u', password: 'p' }, new Date(), { set: 'A', destination: join(env.data, 'zrm') });
    const links = join(env.data, 'zrm', 'B', '20260101', 'ZRM_LINKS');
    await mkdir(links, { recursive: true });
    const r = await serve(env, [header(V2_VERSION, 'copy from', `${links}/.`, env.tmp)]);
    assert.equal(r.status, 1);
    const line = firstLine(r.output).line;
    assert.match(line, /^ERROR .* refused: this path is not the armed backup run's/);
    assert.doesNotMatch(line, /'A'|zrm'/, 'the armed run (the path that would be served) is not told to the client');
    assert.match(r.log, /armed for backup set 'A'.*not that run's/);
  }));

test('v2 copy from: OK tar, raw frames and a trailer that verifies', () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.data, 'f.txt'), 'hello\n');
    const r = await serve(env, [header(V2_VERSION, 'copy from', join(env.data, 'f.txt'), env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, after } = firstLine(r.output);
    assert.equal(line, 'OK tar');
    const gen = readV2Frames(readerOf(after));
    const parts: Buffer[] = [];
    let step = await gen.next();
    for (; !step.done; step = await gen.next()) parts.push(step.value);
    const trailer = step.value;
    assert.equal(trailer.ok, true);
    assert.equal(trailer.exitCode, 0);
    assert.deepEqual(await tarList(Buffer.concat(parts)), ['f.txt']);
    assert.equal(trailer.bytes, Buffer.concat(parts).length);
  }));

test('v2 copy from a missing path: one ERROR line and nothing else', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, [header(V2_VERSION, 'copy from', join(env.data, 'missing.bin'), env.tmp)]);
    assert.equal(r.status, 1);
    const { line, after } = firstLine(r.output);
    assert.match(line, /^ERROR copy from refused: .*missing\.bin/);
    assert.equal(after.length, 0, 'nothing may follow the ERROR line');
    assert.match(r.log, /outcome=FAILED/);
  }));

test('1.8b5 copy from a missing path: no bytes at all (an empty tar would pass for an empty backup), status 1', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, [header(LEGACY_VERSION, 'copy from', join(env.data, 'missing.bin'), env.tmp)]);
    assert.equal(r.status, 1);
    assert.equal(r.output.length, 0);
    assert.match(r.log, /missing\.bin/);
  }));

test('copy from outside the allowed roots, or through a link that leaves them: refused', () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.root, 'outside.txt'), 'secret');
    await symlink(env.root, join(env.data, 'escape'));
    for (const path of [join(env.root, 'outside.txt'), join(env.data, 'escape', 'outside.txt'), '/etc/passwd']) {
      const v2 = await serve(env, [header(V2_VERSION, 'copy from', path, env.tmp)]);
      assert.equal(v2.status, 1, path);
      const { line, after } = firstLine(v2.output);
      assert.match(line, /^ERROR copy from refused: .*outside the allowed roots/, path);
      assert.equal(after.length, 0, path);
      const legacy = await serve(env, [header(LEGACY_VERSION, 'copy from', path, env.tmp)]);
      assert.equal(legacy.status, 1, path);
      assert.equal(legacy.output.length, 0, path);
    }
  }));

test("copy from with a '*' in the last component sends the matching names", () =>
  withServerEnv(async (env) => {
    for (const n of ['mysql-bin.000001', 'mysql-bin.000002', 'mysql-bin.index', 'other']) await writeFile(join(env.data, n), n);
    const r = await serve(env, [header(V2_VERSION, 'copy from', join(env.data, 'mysql-bin.0*'), env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, after } = firstLine(r.output);
    assert.equal(line, 'OK tar');
    const archive = await collect(readV2Frames(readerOf(after)));
    assert.deepEqual(await tarList(archive), ['mysql-bin.000001', 'mysql-bin.000002']);
  }));

// Issue 8, case 2: a 1.8b5 client cannot hear a status. It gets nothing of a failed backup
// tool's output, only a frame that makes its tar fail; of a failed tar of plain paths, what went
// out before (never ending where tar takes it for whole) and that frame. Never a shorter stream
// that passes for a backup.
const TOOLS = join(FIXTURES, '..', 'tools');

/** What `tar -x` of the decoded 1.8b5 stream says. */
async function tarOfLegacy(wire: Buffer, dest: string): Promise<{ exitCode: number; stderr: string }> {
  await mkdir(dest, { recursive: true });
  const stream = await collect(readLegacyFrames(readerOf(wire)));
  const r = await execa('tar', ['--same-owner', '-x', '-i', '-p', '-C', dest], { input: stream, reject: false });
  return { exitCode: r.exitCode ?? -1, stderr: String(r.stderr) };
}

test('fault: tar of a plain path exits non-zero | 1.8b5 | what went out ends in an invalid frame its tar rejects; server logs FAILED', () =>
  withServerEnv(async (env) => {
    const dir = join(env.data, 'files');
    await mkdir(dir);
    await writeFile(join(dir, 'a-good-file'), 'sent before tar failed');
    await writeFile(join(dir, 'b-big-file'), randomBytes(200_000));
    // A tar that writes the whole archive, then exits 1 (as on "File removed before we read it"):
    // only its exit status tells. (A dangling link no longer reaches tar: the walk refuses it.)
    const path = process.env.PATH;
    process.env.PATH = `${join(TOOLS, 'tar-exits-1')}:${path ?? '/usr/bin:/bin'}`;
    try {
      const r = await serve(env, [header(LEGACY_VERSION, 'copy from', dir, env.tmp)]);
      assert.equal(r.status, 1, r.log);
      assert.ok(r.output.length > 100_000, `most of the archive went out before tar's verdict (${r.output.length} bytes)`);
      assert.ok(r.output.subarray(-legacyFailureFrame().length).equals(legacyFailureFrame()), 'it ends in the failure frame');
      const old = await tarOfLegacy(r.output, join(env.root, 'old-client'));
      assert.notEqual(old.exitCode, 0, 'the client\'s tar must reject the stream');
      assert.match(r.log, /1\.8b5 stream marked invalid/);
      const v2 = await serve(env, [header(V2_VERSION, 'copy from', dir, env.tmp)]);
      assert.equal(v2.status, 1, 'v2 says it in the trailer');
    } finally {
      process.env.PATH = path;
    }
  }));

test('1.8b5 copy from, armed, a tar-streaming innobackupex that dies after two members: only the failure frame', () =>
  withServerEnv(
    async (env) => {
      await ensureStateDir(env.state);
      await armState(env.state, { user: 'u', password: 'a-long-password' });
      const links = join(env.data, 'backup', 'ZRM_LINKS');
      await mkdir(links, { recursive: true });
      const r = await serve(env, [header(LEGACY_VERSION, 'copy from', `${links}/.`, env.tmp)]);
      assert.equal(r.status, 1, r.log);
      assert.ok(r.output.equals(legacyFailureFrame()), `expected only the failure frame, got ${r.output.length} bytes`);
      assert.match(r.log, /innobackupex backup FAILED: innobackupex exited 1: .*No space left/);
      assert.deepEqual(await readdir(env.tmp), [], 'staging removed');
    },
    `[backup]\ntool = innobackupex\ntool_path = ${join(TOOLS, 'innobackupex-dies-after-two.sh')}\n`,
  ));
