import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ExitError } from '../../../src/errors.js';
import { receiveIntoDir } from '../../../src/transfer/receiveIntoDir.js';
import { craftTar, type TarMember } from '../../helpers/craftedTar.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// Issue 7, hole 2 (uploads): a tar's symbolic and hard links may not lead out of the
// destination once published, whatever links the destination already holds.

interface Env {
  root: string;
  dest: string;
  outside: string;
}

async function withEnv(fn: (e: Env) => Promise<void>): Promise<void> {
  const t = await makeTempDir('zrm-links-');
  try {
    const e = { root: t.path, dest: join(t.path, 'root', 'a', 'b', 'dest'), outside: join(t.path, 'outside') };
    await mkdir(e.dest, { recursive: true });
    await mkdir(e.outside);
    await writeFile(join(e.outside, 'secret'), 'top secret');
    await fn(e);
  } finally {
    await t.cleanup();
  }
}

async function* once(data: Buffer): AsyncGenerator<Buffer> {
  yield data;
}

async function upload(e: Env, members: TarMember[]): Promise<void> {
  await receiveIntoDir(once(await craftTar(members)), 'tar', e.dest);
}

/** The upload is refused and leaves the destination and the outside as they were. */
async function assertRefused(e: Env, members: TarMember[], why: RegExp): Promise<void> {
  const before = (await readdir(e.dest)).sort();
  await assert.rejects(upload(e, members), (err: unknown) => {
    // GNU tar itself refuses some of these (an ExitError); the link check the rest (IntegrityError).
    assert.ok(err instanceof ExitError, String(err));
    assert.match(err.message, why);
    return true;
  });
  assert.deepEqual((await readdir(e.dest)).sort(), before, 'nothing may be published');
  assert.deepEqual((await readdir(e.outside)).sort(), ['secret'], 'nothing may be written outside');
  assert.equal(await readFile(join(e.outside, 'secret'), 'utf8'), 'top secret');
}

test('a symbolic link to an absolute path outside the destination: refused', () =>
  withEnv(async (e) => {
    await assertRefused(e, [{ name: 'evil', type: 'symlink', target: join(e.outside, 'secret') }], /evil.*outside/);
    await assertRefused(e, [{ name: 'd', type: 'dir' }, { name: 'd/evil', type: 'symlink', target: '/etc' }], /d\/evil.*outside/);
  }));

test("a relative link that climbs out with '..': refused", () =>
  withEnv(async (e) => {
    await assertRefused(e, [{ name: 'up', type: 'symlink', target: '../../../../outside/secret' }], /up.*outside/);
    await assertRefused(e, [{ name: 'x', type: 'dir' }, { name: 'x/up', type: 'symlink', target: '../..' }], /x\/up.*outside/);
  }));

test('a link that leaves through another link of the same upload, or one already there: refused', () =>
  withEnv(async (e) => {
    await mkdir(join(e.dest, 'deep', 'er'), { recursive: true });
    // 'via' is inside; 'chain' is 'via/../..' which the kernel resolves from via's target.
    await assertRefused(
      e,
      [
        { name: 'via', type: 'symlink', target: 'deep/er' },
        { name: 'chain', type: 'symlink', target: 'via/../../..' },
      ],
      /chain.*outside/,
    );
    await symlink('deep/er', join(e.dest, 'old'));
    await assertRefused(e, [{ name: 'chain2', type: 'symlink', target: 'old/../../..' }], /chain2.*outside/);
    await assertRefused(e, [{ name: 'through', type: 'symlink', target: 'missing/../../..' }], /missing.*'\.\.'/);
  }));

test('a member written through a link out of the destination: refused, nothing lands outside', () =>
  withEnv(async (e) => {
    await assertRefused(
      e,
      [
        { name: 'l', type: 'symlink', target: e.outside },
        { name: 'l/planted', data: 'planted' },
      ],
      /./,
    );
    await assert.rejects(lstat(join(e.outside, 'planted')));
  }));

test('a hard link to a file outside: refused', () =>
  withEnv(async (e) => {
    await assertRefused(e, [{ name: 'h', type: 'hardlink', target: join(e.outside, 'secret') }], /./);
    await assertRefused(e, [{ name: 'h', type: 'hardlink', target: '../../../../outside/secret' }], /./);
  }));

test('links that stay inside the destination are published as links', () =>
  withEnv(async (e) => {
    await upload(e, [
      { name: 'sub', type: 'dir' },
      { name: 'sub/a.txt', data: 'alpha' },
      { name: 'rel', type: 'symlink', target: 'sub/a.txt' },
      { name: 'abs', type: 'symlink', target: join(e.dest, 'sub') },
      { name: 'dangling', type: 'symlink', target: 'not-yet/there' },
      { name: 'hard', type: 'hardlink', target: 'sub/a.txt' },
    ]);
    assert.equal(await readlink(join(e.dest, 'rel')), 'sub/a.txt');
    assert.equal(await readFile(join(e.dest, 'abs', 'a.txt'), 'utf8'), 'alpha');
    assert.equal(await readlink(join(e.dest, 'dangling')), 'not-yet/there');
    assert.equal(await readFile(join(e.dest, 'hard'), 'utf8'), 'alpha');
  }));

test("a link with '..' anywhere in it: refused (a directory it climbs out of may become a link before it is followed)", () =>
  withEnv(async (e) => {
    // Both resolve inside today. Swap ZRM_LINKS for a shallower directory, or P (empty) for a link
    // (remove-backup-data, then create-link), and they lead out of the roots.
    await mkdir(join(e.dest, 'a', 'b', 'c'), { recursive: true });
    await symlink(join(e.dest, 'a', 'b', 'c'), join(e.dest, 'ZRM_LINKS'));
    await assertRefused(e, [{ name: 'X', type: 'dir' }, { name: 'X/zr', type: 'symlink', target: '../ZRM_LINKS/../../secret' }], /X\/zr.*climbs with '\.\.'/);
    await assertRefused(e, [{ name: 'X', type: 'dir' }, { name: 'X/P', type: 'dir' }, { name: 'X/zr', type: 'symlink', target: 'P/../sibling' }], /X\/zr.*climbs with '\.\.'/);
  }));

test('devices and FIFOs are refused; setuid, setgid and world-write bits are dropped from what is published', () =>
  withEnv(async (e) => {
    await assertRefused(e, [{ name: 'mem', type: 'chardev' }], /mem.*not a regular file, directory or link/);
    await assertRefused(e, [{ name: 'pipe', type: 'fifo' }], /pipe.*not a regular file, directory or link/);
    await upload(e, [
      { name: 'bin', type: 'dir', mode: 0o2775 },
      { name: 'bin/suid', data: '#!/bin/sh\n', mode: 0o4755 },
      { name: 'bin/anyone', data: 'rewrite me', mode: 0o666 },
    ]);
    assert.equal((await lstat(join(e.dest, 'bin', 'anyone'))).mode & 0o7777, 0o664);
    assert.equal((await lstat(join(e.dest, 'bin', 'suid'))).mode & 0o7777, 0o755);
    assert.equal((await lstat(join(e.dest, 'bin'))).mode & 0o6000, 0);
  }));
