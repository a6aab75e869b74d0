import assert from 'node:assert/strict';
import { chmod, chown, lstat, mkdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { withTempDir } from '../helpers/tempDir.js';

// The launchers the packages install (packaging/launchers): each imports the bundle, and on a
// Node with module.enableCompileCache (22 and later) first points it at a cache directory that
// only its user (or root) can write. This Node has no compile cache: a preloaded script gives it
// one that notes the directory it is given, so the choice of directory is what is tested.
const LAUNCHERS = new URL('../../../packaging/launchers/', import.meta.url);
const NAMES = ['inno-snapshot.pl', 'socket-copy.palomino.pl', 'socket-server.palomino.pl', 'zrm-innobackupex'];
const BUNDLE = '/usr/lib/mysql-zrm-innobackupex/zrm-innobackupex.mjs';
const NOBODY = 65534;

const FAKE_CACHE = `require('node:module').enableCompileCache = (dir) => require('node:fs').writeFileSync(process.env.CACHE_NOTE, dir);\n`;

/** The launcher's code below its header comment: the same in all four. */
function code(text: string): string {
  return text.slice(text.indexOf('\n// Node 22'));
}

test('the four launchers run the same code and import the packaged bundle', async () => {
  const texts = await Promise.all(NAMES.map((n) => readFile(new URL(n, LAUNCHERS), 'utf8')));
  for (const t of texts) {
    assert.ok(t.startsWith('#!/usr/bin/node\n'));
    assert.equal(code(t), code(texts[0] ?? ''));
    assert.ok(t.trimEnd().endsWith(`import('${BUNDLE}');`));
  }
});

interface Site {
  root: string;
  cacheParent: string;
  stateDir: string;
  run: (opts?: { uid?: number; fakeCache?: boolean }) => Promise<string | undefined>;
}

/** A launcher whose paths point into `root`, importing a stand-in program that says it ran. */
async function site(root: string): Promise<Site> {
  await chmod(root, 0o755);
  const cacheParent = join(root, 'var-cache');
  const stateDir = join(root, 'state');
  await mkdir(cacheParent, { mode: 0o755 });
  const program = join(root, 'program.mjs');
  await writeFile(program, "process.stdout.write('program ran');\n");
  const text = (await readFile(new URL('inno-snapshot.pl', LAUNCHERS), 'utf8'))
    .replace(`root: '/var/cache'`, `root: ${JSON.stringify(cacheParent)}`)
    .replace(`user: '/var/lib/mysql-zrm-innobackupex'`, `user: ${JSON.stringify(stateDir)}`)
    .replace(BUNDLE, program);
  assert.ok(text.includes(cacheParent) && text.includes(stateDir) && text.includes(program), 'the launcher names its paths');
  const launcher = join(root, 'inno-snapshot.pl');
  await writeFile(launcher, text, { mode: 0o755 });
  await writeFile(join(root, 'fake-cache.cjs'), FAKE_CACHE);
  const note = join(root, 'cache-note');
  return {
    root,
    cacheParent,
    stateDir,
    run: async ({ uid = 0, fakeCache = true } = {}) => {
      await writeFile(note, '');
      await chown(note, uid, uid);
      const pre = fakeCache ? ['--require', join(root, 'fake-cache.cjs')] : [];
      const r = await execa(process.execPath, [...pre, launcher], { env: { CACHE_NOTE: note }, extendEnv: false, uid, gid: uid });
      assert.equal(r.stdout, 'program ran');
      assert.equal(r.stderr, '');
      return (await readFile(note, 'utf8')) || undefined;
    },
  };
}

test('as root the cache is a private directory under /var/cache, made on first use', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    const dir = join(s.cacheParent, 'mysql-zrm-innobackupex');
    assert.equal(await s.run(), dir);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal(await s.run(), dir);
  });
});

test('as the run user the cache is a private directory in the state directory it owns', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    await mkdir(s.stateDir, { mode: 0o700 });
    await chown(s.stateDir, NOBODY, NOBODY);
    const dir = join(s.stateDir, 'compile-cache');
    assert.equal(await s.run({ uid: NOBODY }), dir);
    assert.equal((await lstat(dir)).uid, NOBODY);
  });
});

test('no cache where someone else could plant compiled code', async (t) => {
  await t.test('a parent anyone may write to', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      await chmod(s.cacheParent, 0o1777);
      assert.equal(await s.run(), undefined);
    });
  });
  await t.test('a cache directory that is a symlink', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      await mkdir(join(root, 'elsewhere'), { mode: 0o700 });
      await symlink(join(root, 'elsewhere'), join(s.cacheParent, 'mysql-zrm-innobackupex'));
      assert.equal(await s.run(), undefined);
    });
  });
  await t.test('a cache directory another user owns or may write to', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      const dir = join(s.cacheParent, 'mysql-zrm-innobackupex');
      await mkdir(dir, { mode: 0o700 });
      await chown(dir, NOBODY, NOBODY);
      assert.equal(await s.run(), undefined);
      await chown(dir, 0, 0);
      await chmod(dir, 0o770);
      assert.equal(await s.run(), undefined);
    });
  });
  await t.test('a run user whose state directory belongs to root', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      await mkdir(s.stateDir, { mode: 0o755 });
      assert.equal(await s.run({ uid: NOBODY }), undefined);
    });
  });
});

test('a Node without a compile cache just runs the program, making no directory', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    assert.equal(await s.run({ fakeCache: false }), undefined);
    await assert.rejects(lstat(join(s.cacheParent, 'mysql-zrm-innobackupex')), { code: 'ENOENT' });
  });
});
