import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, chown, link, lstat, mkdir, readdir, readFile, stat, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { ExitError } from '../../../src/errors.js';
import { armState, disarmState, ensureStateDir, readArmedState, STATE_FILE } from '../../../src/snapshot/state.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { memoryLogger, settle } from './helpers.js';

const MYSQL_UID = 102; // another uid, as the mysql user on this machine
const creds = { user: 'zrm_backup', password: 'pa ss=wörd' };

const withTemp = (fn: (root: string) => Promise<void>): Promise<void> => withTempDir('zrm-snapstate-', fn);

async function withUmask<T>(mask: number, fn: () => Promise<T>): Promise<T> {
  const old = process.umask(mask);
  try {
    return await fn();
  } finally {
    process.umask(old);
  }
}

const mode = async (p: string) => (await lstat(p)).mode & 0o777;
const isExit = (re: RegExp) => (err: unknown) => err instanceof ExitError && re.test(err.message);

test('ensureStateDir creates the directory 0700 whatever the umask', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await withUmask(0, () => ensureStateDir(dir));
    assert.equal(await mode(dir), 0o700);
    await ensureStateDir(dir); // idempotent
    assert.equal(await mode(dir), 0o700);
  }));

test('ensureStateDir needs the parent to exist', () =>
  withTemp(async (root) => {
    await assert.rejects(ensureStateDir(join(root, 'no', 'state')), isExit(/parent directory does not exist/));
  }));

test('ensureStateDir tightens a 0777 directory of ours and says so', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const { logger, lines } = memoryLogger();
    await ensureStateDir(dir, logger);
    await settle();
    assert.equal(await mode(dir), 0o700);
    assert.ok(lines.some((l) => /^warn: .*had mode 0777; set it to 0700/.test(l)), lines.join('\n'));
  }));

test('ensureStateDir refuses a symlink planted in place of the directory, and leaves its target alone', () =>
  withTemp(async (root) => {
    const target = join(root, 'elsewhere');
    await mkdir(target, { mode: 0o755 });
    await chmod(target, 0o755);
    const dir = join(root, 'state');
    await symlink(target, dir);
    await assert.rejects(ensureStateDir(dir), isExit(/is a symbolic link; refusing/));
    assert.equal(await mode(target), 0o755);
    await assert.rejects(disarmState(dir), isExit(/is a symbolic link/));
    await assert.rejects(armState(dir, creds), isExit(/is a symbolic link/));
    assert.deepEqual(await readdir(target), []);
  }));

test('ensureStateDir refuses a file in place of the directory', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await writeFile(dir, 'x');
    await assert.rejects(ensureStateDir(dir), isExit(/is not a directory/));
  }));

test('ensureStateDir refuses a directory owned by another uid', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await mkdir(dir, { mode: 0o700 });
    await chown(dir, MYSQL_UID, MYSQL_UID);
    await assert.rejects(ensureStateDir(dir), isExit(new RegExp(`owned by uid ${MYSQL_UID}`)));
    const { logger, lines } = memoryLogger();
    await assert.rejects(readArmedState(dir, 60, logger), isExit(/owned by uid/));
    await settle();
    assert.ok(lines.some((l) => l.startsWith('error: ')));
  }));

test('armState writes epoch, user, password in a 0600 file, and readArmedState gives them back', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await ensureStateDir(dir);
    const at = new Date('2026-11-25T12:00:00Z');
    await withUmask(0, () => armState(dir, creds, at));
    const file = join(dir, STATE_FILE);
    assert.equal(await mode(file), 0o600);
    assert.equal((await stat(file)).uid, process.geteuid?.());
    assert.equal(await readFile(file, 'utf8'), `${at.getTime() / 1000}\nzrm_backup\npa ss=wörd\n`);
    assert.deepEqual(await readdir(dir), [STATE_FILE], 'no temp file left behind');
    const { logger } = memoryLogger();
    const state = await readArmedState(dir, 60, logger, new Date(at.getTime() + 30_000));
    assert.deepEqual(state, { ...creds, armedAt: at, run: { set: '', destination: '' } });
  }));

test('armState replaces the file by rename, never rewriting it in place', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await ensureStateDir(dir);
    const file = join(dir, STATE_FILE);
    await armState(dir, { user: 'old', password: 'one' });
    const oldIno = (await stat(file)).ino;
    // A reader holding the old file (here a hard link) must keep seeing it whole.
    await link(file, join(root, 'held'));
    await armState(dir, { user: 'new', password: 'two' });
    assert.notEqual((await stat(file)).ino, oldIno);
    assert.match(await readFile(join(root, 'held'), 'utf8'), /\nold\none\n$/);
    assert.match(await readFile(file, 'utf8'), /\nnew\ntwo\n$/);
    assert.deepEqual(await readdir(dir), [STATE_FILE]);
  }));

test('armState refuses what the line format cannot hold, and a missing directory', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await assert.rejects(armState(dir, creds), isExit(/does not exist/));
    await ensureStateDir(dir);
    await assert.rejects(armState(dir, { user: '', password: 'x' }), isExit(/user is empty/));
    await assert.rejects(armState(dir, { user: 'u', password: 'a\nb' }), isExit(/line break/));
    assert.deepEqual(await readdir(dir), []);
  }));

test('readArmedState: null without directory or file; disarmState with nothing to remove is fine', () =>
  withTemp(async (root) => {
    const { logger } = memoryLogger();
    const dir = join(root, 'state');
    assert.equal(await readArmedState(dir, 60, logger), null);
    await disarmState(dir);
    await ensureStateDir(dir);
    assert.equal(await readArmedState(dir, 60, logger), null);
    await disarmState(dir);
    await armState(dir, creds);
    await disarmState(dir);
    assert.equal(await readArmedState(dir, 60, logger), null);
    assert.equal(await mode(dir), 0o700, 'the directory stays');
  }));

test('a state older than max age is removed with a warning; one exactly max age old is kept', () =>
  withTemp(async (root) => {
    const dir = join(root, 'state');
    await ensureStateDir(dir);
    const at = new Date('2026-11-25T12:00:00Z');
    await armState(dir, creds, at);
    const { logger, lines } = memoryLogger();
    assert.notEqual(await readArmedState(dir, 100, logger, new Date(at.getTime() + 100_000)), null);
    assert.equal(await readArmedState(dir, 100, logger, new Date(at.getTime() + 101_000)), null);
    await settle();
    assert.deepEqual(await readdir(dir), []);
    assert.ok(lines.some((l) => /^warn: removed stale state file .* armed 101 s ago, older than 100 s/.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes(creds.password)));
  }));

async function refusedFile(plant: (file: string, root: string) => Promise<void>, why: RegExp): Promise<void> {
  await withTemp(async (root) => {
    const dir = join(root, 'state');
    await ensureStateDir(dir);
    await plant(join(dir, STATE_FILE), root);
    const { logger, lines } = memoryLogger();
    await assert.rejects(readArmedState(dir, 3600, logger), isExit(why));
    await settle();
    assert.ok(lines.some((l) => l.startsWith('error: ') && why.test(l)), lines.join('\n'));
    assert.ok(!lines.some((l) => l.includes('secret-pw')), 'the file was never read into the log');
  });
}

const goodContent = () => `${Math.floor(Date.now() / 1000)}\nu\nsecret-pw\n`;

test('readArmedState refuses a symlink in place of the state file', () =>
  refusedFile(async (file, root) => {
    const real = join(root, 'real');
    await writeFile(real, goodContent(), { mode: 0o600 });
    await symlink(real, file);
  }, /is a symbolic link; refusing to read it/));

test('readArmedState refuses a state file open to group or others', () =>
  refusedFile(async (file) => {
    await writeFile(file, goodContent());
    await chmod(file, 0o644);
  }, /has mode 0644, open to group or others/));

test('readArmedState refuses a state file owned by another uid', () =>
  refusedFile(async (file) => {
    await writeFile(file, goodContent(), { mode: 0o600 });
    await chown(file, MYSQL_UID, MYSQL_UID);
  }, new RegExp(`is owned by uid ${MYSQL_UID}`)));

test('readArmedState refuses a FIFO in place of the state file without blocking on it', () =>
  refusedFile(async (file) => {
    await execa('mkfifo', ['-m', '600', file]);
  }, /is not a regular file/));

test('readArmedState refuses a directory in place of the state file', () =>
  refusedFile(async (file) => {
    await mkdir(file, { mode: 0o700 });
  }, /is not a regular file/));

test('readArmedState refuses a malformed state file', () =>
  refusedFile(async (file) => {
    await writeFile(file, 'yesterday\nu\nsecret-pw\n', { mode: 0o600 });
  }, /is malformed/));
