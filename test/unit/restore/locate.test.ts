import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseAppConfig } from '../../../src/config/appConfig.js';
import { wantsPrepare } from '../../../src/restore/landed.js';
import { locateBackup } from '../../../src/restore/locate.js';
import { makeTempDir } from '../../helpers/tempDir.js';

async function fakeBackup(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'xtrabackup_checkpoints'), 'backup_type = full-backuped\nto_lsn = 10\n');
}

test('finds the backup itself, one inside ZRM\'s directories, or the compressed backup-data', async () => {
  const tmp = await makeTempDir();
  try {
    await fakeBackup(join(tmp.path, 'plain'));
    assert.deepEqual(await locateBackup(join(tmp.path, 'plain')), { kind: 'dir', dir: join(tmp.path, 'plain') });
    await fakeBackup(join(tmp.path, 'set', '20261129000000'));
    await writeFile(join(tmp.path, 'set', '20261129000000', 'index'), 'backup-level=0\n');
    assert.deepEqual(await locateBackup(join(tmp.path, 'set')), { kind: 'dir', dir: join(tmp.path, 'set', '20261129000000') });
    await mkdir(join(tmp.path, 'zipped', '20261129000000'), { recursive: true });
    await writeFile(join(tmp.path, 'zipped', '20261129000000', 'backup-data'), 'gzip here');
    assert.deepEqual(await locateBackup(join(tmp.path, 'zipped')), { kind: 'archive', file: join(tmp.path, 'zipped', '20261129000000', 'backup-data') });
  } finally {
    await tmp.cleanup();
  }
});

test('refuses nothing found and an ambiguous directory, naming what it saw', async () => {
  const tmp = await makeTempDir();
  try {
    await mkdir(join(tmp.path, 'empty'));
    await assert.rejects(locateBackup(join(tmp.path, 'empty')), /no hot backup in .*xtrabackup_checkpoints/);
    await fakeBackup(join(tmp.path, 'two', 'a'));
    await fakeBackup(join(tmp.path, 'two', 'b'));
    await assert.rejects(locateBackup(join(tmp.path, 'two')), /more than one backup .*two\/a.*two\/b/);
    await assert.rejects(locateBackup(join(tmp.path, 'missing')), /does not exist/);
  } finally {
    await tmp.cleanup();
  }
});

test('[client] prepare, overridden by the backup set\'s innobackupex-prepare', () => {
  const off = parseAppConfig('');
  const on = parseAppConfig('[client]\nprepare = true\n');
  assert.equal(off.client.prepare, false);
  assert.equal(wantsPrepare(off, new Map()), false);
  assert.equal(wantsPrepare(on, new Map()), true);
  assert.equal(wantsPrepare(off, new Map([['innobackupex-prepare', 'yes']])), true);
  assert.equal(wantsPrepare(on, new Map([['innobackupex-prepare', 'no']])), false);
  assert.throws(() => parseAppConfig('[client]\nprepare = maybe\n'), /prepare must be true or false/);
});
