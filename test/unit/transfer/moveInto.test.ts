import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { moveInto } from '../../../src/transfer/moveInto.js';
import { withTempDir } from '../../helpers/tempDir.js';

const withTemp = (fn: (dir: string) => Promise<void>): Promise<void> => withTempDir('zrm-move-', fn);

test('moveInto merges nested directories, replaces files, moves links as links, removes the source', () =>
  withTemp(async (root) => {
    const from = join(root, 'from');
    const to = join(root, 'to');
    await mkdir(join(from, 'a', 'b'), { recursive: true });
    await writeFile(join(from, 'a', 'b', 'new'), 'new');
    await writeFile(join(from, 'a', 'same'), 'from');
    await writeFile(join(from, 'top'), 'top');
    await symlink('a/same', join(from, 'link'));
    await mkdir(join(from, 'fresh', 'deep'), { recursive: true });
    await mkdir(join(to, 'a', 'b'), { recursive: true });
    await writeFile(join(to, 'a', 'b', 'old'), 'old');
    await writeFile(join(to, 'a', 'same'), 'to');
    await writeFile(join(to, 'untouched'), 'u');

    await moveInto(from, to);
    assert.equal(existsSync(from), false);
    assert.deepEqual((await readdir(to)).sort(), ['a', 'fresh', 'link', 'top', 'untouched']);
    assert.deepEqual((await readdir(join(to, 'a', 'b'))).sort(), ['new', 'old']);
    assert.equal(await readFile(join(to, 'a', 'same'), 'utf8'), 'from');
    assert.equal(await readlink(join(to, 'link')), 'a/same');
    assert.deepEqual(await readdir(join(to, 'fresh')), ['deep']);
    assert.equal(await readFile(join(to, 'untouched'), 'utf8'), 'u');
  }));

test('moveInto an empty source just removes it', () =>
  withTemp(async (root) => {
    await mkdir(join(root, 'from'));
    await mkdir(join(root, 'to'));
    await moveInto(join(root, 'from'), join(root, 'to'));
    assert.equal(existsSync(join(root, 'from')), false);
    assert.deepEqual(await readdir(join(root, 'to')), []);
  }));

test('moveInto does not merge into a link to a directory: it fails rather than write through it', () =>
  withTemp(async (root) => {
    const from = join(root, 'from');
    const to = join(root, 'to');
    const elsewhere = join(root, 'elsewhere');
    await mkdir(join(from, 'd'), { recursive: true });
    await writeFile(join(from, 'd', 'f'), 'x');
    await mkdir(to);
    await mkdir(elsewhere);
    await symlink(elsewhere, join(to, 'd'));
    await assert.rejects(moveInto(from, to));
    assert.deepEqual(await readdir(elsewhere), [], 'nothing was written through the link');
  }));

test('fault: copy plugin killed while it publishes a hot backup | both | xtrabackup_checkpoints goes last, so a backup cut short in publishing has none and restore/verify refuse it', () =>
  withTemp(async (root) => {
    const from = join(root, 'from');
    const to = join(root, 'to');
    await mkdir(join(from, 'zz_app'), { recursive: true });
    await mkdir(join(from, 'aaa'), { recursive: true });
    await writeFile(join(from, 'xtrabackup_checkpoints'), 'backup_type = full-backuped\n');
    await writeFile(join(from, 'zz_app', 'orders.ibd'), 'data');
    await mkdir(to);
    // A publish that stops at zz_app (the kill, here: a file in the way of its rename).
    await writeFile(join(to, 'zz_app'), 'in the way');
    await assert.rejects(moveInto(from, to));
    const published = await readdir(to);
    assert.ok(!published.includes('xtrabackup_checkpoints'), `published before the rest: ${published.join(' ')}`);
  }));
