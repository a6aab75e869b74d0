import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { execa } from 'execa';
import { DEFAULT_CONFIG, type AppConfig } from '../../../src/config/appConfig.js';
import { createLogger, flushLogger, type WinstonLogger as Logger } from '../../../src/logging/logger.js';
import { KILL_GRACE_MS, startBackup, type RunningBackup } from '../../../src/backupTool/index.js';
import { BACKUP_PASSWORD, BACKUP_USER, loadSampleData, startMariaDb, tableChecksums, type MariaDb } from '../../helpers/mariadb.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// Real mariabackup against a throwaway MariaDB holding a little data.
let tmp: { path: string; cleanup: () => Promise<void> };
let db: MariaDb;
let n = 0;
const CREDS = { user: BACKUP_USER, password: BACKUP_PASSWORD };

before(async () => {
  tmp = await makeTempDir('zrm-backuptool-');
  db = await startMariaDb(join(tmp.path, 'db'));
  await loadSampleData(db, 'zrm', 2, 300);
});

after(async () => {
  await db?.stop();
  await tmp?.cleanup();
});

/** A fresh scratch directory and tool log per test. */
async function scratch(): Promise<{ dir: string; logFile: string; log: Logger; config: AppConfig }> {
  const dir = join(tmp.path, `t${++n}`);
  await execa('mkdir', ['-p', dir]);
  const logFile = join(dir, 'innobackupex.log');
  const config = structuredClone(DEFAULT_CONFIG);
  config.backup.socket = db.socket;
  config.backup.datadir = db.datadir;
  config.backup.tmpDir = dir;
  return { dir, logFile, log: createLogger({ file: logFile }), config };
}

/** The first chunk, leaving the stream paused (breaking out of for-await would destroy it). */
function firstChunk(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    stream.once('data', (chunk: Buffer) => {
      stream.pause();
      resolve(chunk);
    });
    stream.once('end', () => reject(new Error('stream ended without data')));
  });
}

function cmdline(pid: number): Promise<string> {
  return readFile(`/proc/${pid}/cmdline`, 'utf8');
}

async function workDirs(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((e) => e.startsWith('zrm-backup-'));
}

test('a full backup streams, extracts with mbstream, prepares and restores to the same data', { timeout: 180_000 }, async () => {
  const { dir, logFile, log, config } = await scratch();
  const run: RunningBackup = await startBackup(config, CREDS, log);
  assert.equal(run.format, 'xbstream');
  assert.ok(run.pid);
  // Nothing read yet, so the tool is still running: check what `ps` and /proc show of it.
  const argv = await cmdline(run.pid);
  assert.match(argv, /--defaults-extra-file=/);
  assert.ok(!argv.includes(BACKUP_PASSWORD) && !argv.includes('s3cr'), 'no password in /proc/<pid>/cmdline');
  assert.ok(!(await readFile(`/proc/${run.pid}/environ`, 'utf8')).includes('s3cr'), 'nor in its environment');
  const [work] = await workDirs(dir);
  assert.ok(work);
  assert.equal((await stat(join(dir, work))).mode & 0o777, 0o700);

  const extracted = join(dir, 'extracted');
  await execa('mkdir', [extracted]);
  const mbstream = execa('mbstream', ['-x', '-C', extracted], { stdin: 'pipe', reject: false });
  run.stdout.pipe(mbstream.stdin);
  const [result, mb] = await Promise.all([run.done, mbstream]);
  assert.equal(result.ok, true, result.message);
  assert.deepEqual(result, { ok: true, exitCode: 0, signal: null, completedOk: true, message: 'mariabackup completed OK' });
  assert.equal(mb.exitCode, 0, mb.stderr);
  assert.deepEqual(await workDirs(dir), [], 'option file and target dir removed');

  const prepare = await execa('mariabackup', ['--prepare', `--target-dir=${extracted}`], { reject: false });
  assert.equal(prepare.exitCode, 0, prepare.stderr);
  assert.match(prepare.stderr.trimEnd(), /completed OK!$/);

  const restored = await startMariaDb(join(dir, 'restored'), { datadir: extracted, initialise: false });
  try {
    const original = await tableChecksums(db, 'zrm');
    assert.equal(original.length, 2);
    assert.deepEqual(await tableChecksums(restored, 'zrm'), original);
  } finally {
    await restored.stop();
  }

  await flushLogger(log);
  const text = await readFile(logFile, 'utf8');
  assert.match(text, /starting \/usr\/bin\/mariabackup --defaults-extra-file=\S+\/credentials\.cnf --backup --stream=xbstream/);
  assert.match(text, /completed OK!/);
  assert.ok(!text.includes('s3cr'), 'no password in the tool log');
});

test('a configured my.cnf is honoured (via !include) and --extra-lsndir keeps the checkpoints', { timeout: 120_000 }, async () => {
  const { dir, log, config } = await scratch();
  const mycnf = join(dir, 'my.cnf');
  // Its own [client] account is wrong on purpose: ours, read after it, must win.
  await writeFile(mycnf, `[mysqld]\ndatadir=${db.datadir}\nsocket=${db.socket}\n[client]\nsocket=${db.socket}\nuser=nobody\npassword=wrong\n`);
  config.backup.defaultsFile = mycnf;
  config.backup.socket = '';
  config.backup.datadir = '';
  config.backup.extraLsndir = join(dir, 'lsn', 'last');
  const run = await startBackup(config, CREDS, log);
  assert.match(await cmdline(run.pid ?? 0), /^[^\0]+\0--defaults-file=[^\0]+credentials\.cnf\0--backup\0/);
  let bytes = 0;
  let head = '';
  run.stdout.on('data', (c: Buffer) => {
    if (bytes === 0) head = c.subarray(0, 8).toString('latin1');
    bytes += c.length;
  });
  const result = await run.done;
  assert.equal(result.ok, true, result.message);
  assert.equal(head, 'XBSTCK01');
  assert.ok(bytes > 1_000_000);
  assert.match(await readFile(join(config.backup.extraLsndir, 'xtrabackup_checkpoints'), 'utf8'), /backup_type = full-backuped/);
  await flushLogger(log);
});

test('a wrong password fails with the access-denied line, and no stream', { timeout: 60_000 }, async () => {
  const { log, config } = await scratch();
  const run = await startBackup(config, { user: BACKUP_USER, password: 'not the password' }, log);
  const chunks: Buffer[] = [];
  run.stdout.on('data', (c: Buffer) => chunks.push(c));
  const result = await run.done;
  assert.equal(result.ok, false);
  assert.equal(result.exitCode, 1);
  assert.equal(result.completedOk, false);
  assert.match(result.message, /^mariabackup exited 1: .*Access denied for user 'zrm_backup'@'localhost' \(using password: YES\)/);
  assert.equal(Buffer.concat(chunks).length, 0);
  await flushLogger(log);
});

test('a tool killed mid-stream (SIGKILL) is a failure even though bytes were sent', { timeout: 60_000 }, async () => {
  const { dir, log, config } = await scratch();
  const run = await startBackup(config, CREDS, log);
  assert.equal((await firstChunk(run.stdout)).subarray(0, 8).toString('latin1'), 'XBSTCK01');
  process.kill(run.pid ?? 0, 'SIGKILL');
  run.stdout.resume();
  const result = await run.done;
  assert.equal(result.ok, false);
  assert.equal(result.signal, 'SIGKILL');
  assert.equal(result.exitCode, null);
  assert.match(result.message, /^mariabackup was killed by SIGKILL/);
  assert.deepEqual(await workDirs(dir), []);
  await flushLogger(log);
});

test('kill() (the client went away) ends mariabackup, which ignores SIGTERM, with SIGKILL', { timeout: 60_000 }, async () => {
  const { dir, log, config } = await scratch();
  const run = await startBackup(config, CREDS, log);
  await firstChunk(run.stdout);
  // Nobody reads any more: the tool blocks on its full pipe, as it would for a vanished client.
  const started = Date.now();
  run.kill();
  const result = await run.done;
  assert.ok(Date.now() - started >= KILL_GRACE_MS - 100, 'SIGTERM alone did not end it');
  assert.equal(result.ok, false);
  assert.equal(result.signal, 'SIGKILL');
  assert.match(result.message, /^mariabackup was killed by SIGKILL/);
  assert.deepEqual(await workDirs(dir), []);
  run.stdout.destroy();
  await flushLogger(log);
});
