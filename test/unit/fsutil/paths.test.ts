import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PathRefused, checkAllowed, checkClientPath, isInside } from '../../../src/fsutil/paths.js';
import { listTreeInsideRoots } from '../../../src/fsutil/treeInside.js';
import { withTempDir } from '../../helpers/tempDir.js';

const refused = (re: RegExp) => (err: unknown) => err instanceof PathRefused && re.test(err.message);

const withTemp = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('zrm-paths-', fn);

test('checkClientPath refuses relative and empty paths', () => {
  assert.throws(() => checkClientPath('', 'source'), refused(/source '' is not an absolute path/));
  assert.throws(() => checkClientPath('var/lib/mysql', 'source'), refused(/not an absolute path/));
  assert.throws(() => checkClientPath('./x', 'source'), refused(/not an absolute path/));
});

test("checkClientPath refuses a '..' component anywhere, but not names that merely contain dots", () => {
  for (const p of ['/..', '/a/..', '/a/../b', '/a/b/..', '/a//../b']) {
    assert.throws(() => checkClientPath(p, 'dir'), refused(/contains '\.\.'/), p);
  }
  assert.equal(checkClientPath('/a/..b/c...', 'dir'), '/a/..b/c...');
  assert.equal(checkClientPath('/a/.../b', 'dir'), '/a/.../b');
});

test('checkClientPath refuses a NUL byte', () => {
  assert.throws(() => checkClientPath('/a\0/b', 'dir'), refused(/NUL/));
});

test('checkClientPath normalises double slashes and . components', () => {
  assert.equal(checkClientPath('/a//b/./c', 'dir'), '/a/b/c');
});

test('isInside compares whole components', () => {
  assert.equal(isInside('/srv/data', '/srv/data'), true);
  assert.equal(isInside('/srv/data/x', '/srv/data'), true);
  assert.equal(isInside('/srv/data/x', '/srv/data/'), true);
  assert.equal(isInside('/srv/database', '/srv/data'), false);
  assert.equal(isInside('/srv', '/srv/data'), false);
  assert.equal(isInside('/anything', '/'), true);
});

test('checkAllowed accepts paths inside a root, existing or still to be created', () =>
  withTemp(async (dir) => {
    const root = join(dir, 'root');
    await mkdir(join(root, 'sub'), { recursive: true });
    assert.equal(await checkAllowed(join(root, 'sub'), [root], 'dir'), join(root, 'sub'));
    assert.equal(await checkAllowed(join(root, 'new', 'deeper'), [root], 'dir'), join(root, 'new', 'deeper'));
    assert.equal(await checkAllowed(root, ['/elsewhere', root], 'dir'), root);
  }));

test('checkAllowed refuses paths outside every root', () =>
  withTemp(async (dir) => {
    const root = join(dir, 'root');
    await mkdir(root);
    await mkdir(join(dir, 'rootless'));
    await assert.rejects(checkAllowed(join(dir, 'rootless'), [root], 'dir'), refused(/outside the allowed roots/));
    await assert.rejects(checkAllowed(`${root}x`, [root], 'dir'), refused(/outside the allowed roots/));
    await assert.rejects(checkAllowed(`${root}/../rootless`, [root], 'dir'), refused(/contains '\.\.'/));
  }));

test('checkAllowed follows symbolic links: a link inside a root that points outside is refused', () =>
  withTemp(async (dir) => {
    const root = join(dir, 'root');
    const outside = join(dir, 'outside');
    await mkdir(root);
    await mkdir(outside);
    await writeFile(join(outside, 'secret'), 'x');
    await symlink(outside, join(root, 'escape'));
    await symlink(join(outside, 'secret'), join(root, 'secret-link'));
    await mkdir(join(root, 'inner'));
    await symlink(join(root, 'inner'), join(root, 'inner-link'));
    await assert.rejects(checkAllowed(join(root, 'escape'), [root], 'dir'), refused(/outside/));
    await assert.rejects(checkAllowed(join(root, 'escape', 'secret'), [root], 'dir'), refused(/outside/));
    await assert.rejects(checkAllowed(join(root, 'escape', 'not-yet', 'x'), [root], 'dir'), refused(/outside/));
    await assert.rejects(checkAllowed(join(root, 'secret-link'), [root], 'dir'), refused(/outside/));
    assert.equal(await checkAllowed(join(root, 'inner-link', 'x'), [root], 'dir'), join(root, 'inner-link', 'x'));
  }));

test('checkAllowed: a root that is itself a symbolic link (e.g. /var/lib/mysql -> /srv/mysql) still works', () =>
  withTemp(async (dir) => {
    const real = join(dir, 'real');
    const alias = join(dir, 'alias');
    await mkdir(join(real, 'sub'), { recursive: true });
    await symlink(real, alias);
    assert.equal(await checkAllowed(join(alias, 'sub'), [alias], 'dir'), join(alias, 'sub'));
    assert.equal(await checkAllowed(join(alias, 'new'), [alias], 'dir'), join(alias, 'new'));
    await assert.rejects(checkAllowed(dir, [alias], 'dir'), refused(/outside/));
  }));

test('checkAllowed refuses a path into a staging directory of an upload in progress, named or reached through a link', () =>
  withTemp(async (root) => {
    const staging = join(root, 'dest', '.zrm-incoming-AbC123');
    await mkdir(staging, { recursive: true });
    await symlink(staging, join(root, 'to-staging'));
    await assert.rejects(checkAllowed(join(staging, 'evil'), [root], 'link'), refused(/staging directory/));
    await assert.rejects(checkAllowed(staging, [root], 'source'), refused(/staging directory/));
    await assert.rejects(checkAllowed(join(root, 'to-staging', 'evil'), [root], 'link'), refused(/staging directory/));
    assert.equal(await checkAllowed(join(root, 'dest', 'zrm-incoming-not-hidden'), [root], 'source'), join(root, 'dest', 'zrm-incoming-not-hidden'));
  }));

test('the tree a copy from would send skips staging directories, and refuses a link into one', () =>
  withTemp(async (root) => {
    const dir = join(root, 'dest');
    await mkdir(join(dir, `.zrm-incoming-${process.pid}-AbC123`, 'sbtest'), { recursive: true });
    await writeFile(join(dir, `.zrm-incoming-${process.pid}-AbC123`, 'sbtest', 'half.ibd'), 'half of an upload');
    await writeFile(join(dir, 'done.txt'), 'published');
    assert.deepEqual((await listTreeInsideRoots(root, ['dest'], [root])).sort(), ['dest', 'dest/done.txt']);
    await symlink(join(dir, `.zrm-incoming-${process.pid}-AbC123`, 'sbtest'), join(dir, 'peek'));
    await assert.rejects(listTreeInsideRoots(root, ['dest'], [root]), refused(/peek' leads into the staging directory/));
  }));
