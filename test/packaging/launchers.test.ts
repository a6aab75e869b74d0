import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { execa } from 'execa';
import { withTempDir } from '../helpers/tempDir.js';

// The launcher the packages install under four names (packaging/launchers/zrm-launcher): it runs
// the bundle's program as a script with V8's code cache, kept in a directory only its user (or
// root) can write. Here its paths point into a temporary directory and the bundle is a stand-in
// made the way scripts/bundle.mjs makes the real one (the real one: pluginStartup.test.ts).
const LAUNCHER = new URL('../../../packaging/launchers/zrm-launcher', import.meta.url);
const NFPM = new URL('../../../packaging/nfpm.yaml', import.meta.url);
const INSTALLED = ['/usr/bin/zrm-innobackupex', ...['inno-snapshot.pl', 'socket-copy.palomino.pl', 'socket-server.palomino.pl'].map((n) => `/usr/share/mysql-zrm/plugins/${n}`)];
const LIB = '/usr/lib/mysql-zrm-innobackupex';
const CACHE_FILE = 'zrm-plugins.v8cache';
const NOBODY = 65534;

/** A bundle as scripts/bundle.mjs writes it (the packaged one has no #! line). */
function bundleText(body: string): string {
  const program = `(function (require) {'use strict';\n${body}\n})`;
  const hash = createHash('sha256').update(program).digest('hex');
  return `import { createRequire as __zrmCreateRequire } from 'node:module'; // zrm-program sha256=${hash}\n${program}(__zrmCreateRequire(import.meta.url));\n`;
}

/** A program that says what it is, under which name it was started, and that it has require. */
function program(word: string): string {
  return `const said = ${JSON.stringify(word)} + ' ran as ' + require('node:path').basename(process.argv[1]);\nprocess.stdout.write(said);\n`;
}

interface Site {
  root: string;
  cacheParent: string;
  stateDir: string;
  /** The plugins' bundle, which inno-snapshot.pl runs (its program says 'program'). */
  bundle: string;
  /** The whole program's (its program says 'whole'). */
  whole: string;
  /** Runs the launcher as `name` (inno-snapshot.pl); resolves to what the program printed. */
  run: (opts?: { uid?: number; name?: string; args?: string[] }) => Promise<string>;
}

/** The launcher with its paths pointing into `root`, and stand-in bundles there. */
async function site(root: string): Promise<Site> {
  await chmod(root, 0o755);
  const cacheParent = join(root, 'var-cache');
  const stateDir = join(root, 'state');
  await mkdir(cacheParent, { mode: 0o755 });
  const bundle = join(root, 'zrm-plugins.mjs');
  await writeFile(bundle, bundleText(program('program')));
  const whole = join(root, 'zrm-innobackupex.mjs');
  await writeFile(whole, bundleText(program('whole')));
  const text = (await readFile(LAUNCHER, 'utf8'))
    .replace(`root: '/var/cache'`, `root: ${JSON.stringify(cacheParent)}`)
    .replace(`user: '/var/lib/mysql-zrm-innobackupex'`, `user: ${JSON.stringify(stateDir)}`)
    .replace(`const LIB = '${LIB}';`, `const LIB = ${JSON.stringify(root)};`);
  assert.ok(text.includes(cacheParent) && text.includes(stateDir) && text.includes(JSON.stringify(root)), 'the launcher names its paths');
  await mkdir(join(root, 'bin'));
  return {
    root,
    cacheParent,
    stateDir,
    bundle,
    whole,
    run: async ({ uid = 0, name = 'inno-snapshot.pl', args = [] } = {}) => {
      const launcher = join(root, 'bin', name);
      await writeFile(launcher, text, { mode: 0o755 });
      const r = await execa(process.execPath, [launcher, ...args], { env: {}, extendEnv: false, uid, gid: uid });
      assert.equal(r.stderr, '');
      return r.stdout;
    },
  };
}

const rootCache = (s: Site): string => join(s.cacheParent, 'mysql-zrm-innobackupex');

async function cacheFiles(dir: string): Promise<string[]> {
  return readdir(dir).catch(() => []);
}

/** Which file it is and when it was written: a cache that was used is not written again. */
async function identity(path: string): Promise<string> {
  const st = await stat(path);
  return `${st.ino} ${st.mtimeMs}`;
}

test('one launcher file is installed under the four names', async () => {
  const nfpm = await readFile(NFPM, 'utf8');
  for (const dst of INSTALLED) {
    assert.match(nfpm, new RegExp(`- src: packaging/launchers/zrm-launcher\\n    dst: ${dst}\\n    file_info: \\{mode: 0755\\}\\n`), dst);
  }
  const text = await readFile(LAUNCHER, 'utf8');
  assert.ok(text.startsWith('#!/usr/bin/node --single-threaded\n'));
  assert.ok(text.includes(`const LIB = '${LIB}';`));
});

test('as root the cache is a private directory under /var/cache, made on first use and then used', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
    const dir = rootCache(s);
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.deepEqual(await cacheFiles(dir), [CACHE_FILE]);
    assert.equal((await stat(join(dir, CACHE_FILE))).mode & 0o777, 0o600);
    const written = await identity(join(dir, CACHE_FILE));
    assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
    assert.equal(await identity(join(dir, CACHE_FILE)), written, 'the cache was accepted, not made again');
  });
});

test('as the run user the cache is a private directory in the state directory it owns', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    await mkdir(s.stateDir, { mode: 0o700 });
    await chown(s.stateDir, NOBODY, NOBODY);
    assert.equal(await s.run({ uid: NOBODY }), 'program ran as inno-snapshot.pl');
    const dir = join(s.stateDir, 'compile-cache');
    assert.equal((await lstat(dir)).uid, NOBODY);
    assert.equal((await lstat(join(dir, CACHE_FILE))).uid, NOBODY);
  });
});

test('the cached code of another bundle is never run, even at the same length, size and mtime', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
    const before = await stat(s.bundle);
    const mtime = join(root, 'mtime');
    await writeFile(mtime, '');
    await execa('touch', ['-r', s.bundle, mtime]);
    // The same file (inode), length and mtime; only the program differs. V8 alone would run
    // the old program's code: it checks the source's length, not its text.
    await writeFile(s.bundle, bundleText(program('updated')));
    assert.equal((await stat(s.bundle)).size, before.size);
    await execa('touch', ['-r', mtime, s.bundle]);
    const after = await stat(s.bundle);
    assert.deepEqual([after.ino, after.mtimeMs], [before.ino, before.mtimeMs]);
    assert.equal(await s.run(), 'updated ran as inno-snapshot.pl');
    assert.equal(await s.run(), 'updated ran as inno-snapshot.pl');
  });
});

test('a damaged cache file is replaced and the program runs', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    await s.run();
    const file = join(rootCache(s), CACHE_FILE);
    const good = await readFile(file);
    const keyEnd = good.indexOf(0x0a) + 1;
    // The right key in front of code V8 refuses, then a cut-off file.
    for (const damaged of [Buffer.concat([good.subarray(0, keyEnd), Buffer.alloc(good.length - keyEnd, 0x41)]), good.subarray(0, keyEnd + 100)]) {
      await writeFile(file, damaged);
      assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
      assert.equal((await readFile(file)).length, good.length, 'the cache was made again');
    }
  });
});

test('no cache where someone else could plant compiled code', async (t) => {
  await t.test('a parent anyone may write to', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      await chmod(s.cacheParent, 0o1777);
      assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
      await assert.rejects(lstat(rootCache(s)), { code: 'ENOENT' });
    });
  });
  await t.test('a cache directory that is a symlink', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      const elsewhere = join(root, 'elsewhere');
      await mkdir(elsewhere, { mode: 0o700 });
      await symlink(elsewhere, rootCache(s));
      assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
      assert.deepEqual(await cacheFiles(elsewhere), []);
    });
  });
  await t.test('a cache directory another user owns or may write to', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      const dir = rootCache(s);
      await mkdir(dir, { mode: 0o700 });
      await chown(dir, NOBODY, NOBODY);
      assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
      assert.deepEqual(await cacheFiles(dir), []);
      await chown(dir, 0, 0);
      await chmod(dir, 0o770);
      assert.equal(await s.run(), 'program ran as inno-snapshot.pl');
      assert.deepEqual(await cacheFiles(dir), []);
    });
  });
  await t.test('a run user whose state directory belongs to root', async () => {
    await withTempDir('launcher-', async (root) => {
      const s = await site(root);
      await mkdir(s.stateDir, { mode: 0o755 });
      assert.equal(await s.run({ uid: NOBODY }), 'program ran as inno-snapshot.pl');
      await assert.rejects(lstat(join(s.stateDir, 'compile-cache')), { code: 'ENOENT' });
    });
  });
});

test('a bundle without the build\'s tag is imported as the ES module it is', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    await writeFile(s.bundle, `import { basename } from 'node:path';\nprocess.stdout.write('module ran as ' + basename(process.argv[1]));\n`);
    assert.equal(await s.run(), 'module ran as inno-snapshot.pl');
  });
});

test('a stack trace names the line of the bundle file, from the cache as when imported', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    // Line 1 is the tag, line 2 opens the program: the body's first line is the file's third.
    await writeFile(s.bundle, bundleText(`const at = new Error('here').stack.split('\\n')[1];\nprocess.stdout.write(at.slice(at.lastIndexOf('/') + 1));\n`));
    const fromLauncher = [await s.run(), await s.run()];
    const imported = await execa(process.execPath, [s.bundle], { env: {}, extendEnv: false });
    assert.deepEqual(fromLauncher, ['zrm-plugins.mjs:3:12', 'zrm-plugins.mjs:3:12']);
    assert.equal(imported.stdout, 'zrm-plugins.mjs:3:12');
  });
});

test('ZRM\'s snapshot and copy calls run the plugins\' program; the CLI, the socket server and a --help the whole one', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    const caches = ['zrm-innobackupex.v8cache', 'zrm-plugins.v8cache'].map((f) => join(rootCache(s), f));
    let made: string[] = [];
    for (const round of ['makes', 'uses']) {
      assert.equal(await s.run({ name: 'inno-snapshot.pl', args: ['--action', 'get-vm-device-details'] }), 'program ran as inno-snapshot.pl', round);
      assert.equal(await s.run({ name: 'socket-copy.palomino.pl' }), 'program ran as socket-copy.palomino.pl', round);
      assert.equal(await s.run({ name: 'socket-server.palomino.pl' }), 'whole ran as socket-server.palomino.pl', round);
      assert.equal(await s.run({ name: 'zrm-innobackupex', args: ['snapshot'] }), 'whole ran as zrm-innobackupex', round);
      assert.equal(await s.run({ name: 'inno-snapshot.pl', args: ['--help'] }), 'whole ran as inno-snapshot.pl', round);
      assert.equal(await s.run({ name: 'socket-copy.palomino.pl', args: ['-h'] }), 'whole ran as socket-copy.palomino.pl', round);
      // Each program its own cache: neither replaces the other's on every call.
      assert.deepEqual((await cacheFiles(rootCache(s))).sort(), ['zrm-innobackupex.v8cache', 'zrm-plugins.v8cache'], round);
      const now = await Promise.all(caches.map(identity));
      if (round === 'uses') assert.deepEqual(now, made, 'both caches were used, not made again');
      made = now;
    }
  });
});

test('without the plugins\' bundle (an upgrade half done) a plugin call runs the whole program', async () => {
  await withTempDir('launcher-', async (root) => {
    const s = await site(root);
    await rm(s.bundle);
    assert.equal(await s.run({ name: 'inno-snapshot.pl' }), 'whole ran as inno-snapshot.pl');
  });
});
