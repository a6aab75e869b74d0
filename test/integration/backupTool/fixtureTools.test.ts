import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Readable } from 'node:stream';
import { DEFAULT_CONFIG, type AppConfig } from '../../../src/config/appConfig.js';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { KILL_GRACE_MS, startBackup } from '../../../src/backupTool/index.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// Tiny real programs stand in for the backup tool (they ignore the argv they are given).
const FIXTURES = fileURLToPath(new URL('../../../../test/fixtures/backupTool/', import.meta.url));
const CREDS = { user: 'zrm_backup', password: `pw "with" 'quotes' $HOME;|& \\ #` };

function configFor(toolPath: string, tmpDir: string): AppConfig {
  const c = structuredClone(DEFAULT_CONFIG);
  c.backup.toolPath = toolPath;
  c.backup.tmpDir = tmpDir;
  return c;
}

async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Gone, or a zombie waiting for init to reap it. */
function isAlive(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

async function withTool<T>(fixture: string, fn: (c: AppConfig, logFile: string, tmp: string) => Promise<T>): Promise<T> {
  const tmp = await makeTempDir();
  try {
    return await fn(configFor(fixture.startsWith('/') ? fixture : join(FIXTURES, fixture), tmp.path), join(tmp.path, 'tool.log'), tmp.path);
  } finally {
    await tmp.cleanup();
  }
}

test('exit 0 without "completed OK!" is not a backup', { timeout: 20_000 }, () =>
  withTool('exits-0-without-completed-ok.sh', async (config, logFile) => {
    const log = createLogger({ file: logFile });
    const run = await startBackup(config, CREDS, log);
    assert.equal(run.format, 'xbstream');
    assert.match(await readAll(run.stdout), /not really a backup/);
    const r = await run.done;
    assert.equal(r.ok, false);
    assert.equal(r.exitCode, 0);
    assert.equal(r.completedOk, false);
    assert.match(r.message, /^mariabackup exited 0 but its log does not end in "completed OK!"/);
    await flushLogger(log);
  }));

test('megabytes on stderr before any stdout: drained line by line, no deadlock', { timeout: 60_000 }, () =>
  withTool('stderr-flood.sh', async (config, logFile) => {
    const log = createLogger({ file: logFile });
    const run = await startBackup(config, CREDS, log);
    assert.equal(await readAll(run.stdout), 'the backup stream\n');
    const r = await run.done;
    assert.equal(r.ok, true, r.message);
    await flushLogger(log);
    const text = await readFile(logFile, 'utf8');
    const noise = text.split('\n').filter((l) => l.includes('noise noise'));
    assert.equal(noise.length, 25_000, 'every stderr line is in the log');
    assert.match(noise[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z .*info: \[00\]/, 'each with its own timestamp');
  }));

test('the tool runs in a private temp dir with a 0600 option file, all removed afterwards', { timeout: 20_000 }, () =>
  withTool('report-and-succeed.sh', async (config, logFile, tmp) => {
    const log = createLogger({ file: logFile });
    const run = await startBackup(config, CREDS, log);
    const report = await readAll(run.stdout);
    const r = await run.done;
    assert.equal(r.ok, true, r.message);
    const cwd = /^cwd=(.*)$/m.exec(report)?.[1] ?? '';
    assert.match(cwd, new RegExp(`^${tmp}/zrm-backup-`));
    assert.match(report, new RegExp(`^arg=--defaults-extra-file=${cwd}/cnf-[^/]+/credentials.cnf$`, 'm'));
    assert.match(report, new RegExp(`^arg=--target-dir=${cwd}/target$`, 'm'));
    assert.match(report, /^optfile-mode=600$/m);
    assert.match(report, /^optdir-mode=700$/m);
    assert.ok(!report.includes('pw "with"'), 'no password in argv');
    assert.equal(existsSync(cwd), false, 'temp dir removed once done resolved');
    assert.deepEqual((await readdir(tmp)).filter((n) => n.startsWith('zrm-backup-')), []);
    await flushLogger(log);
    const text = await readFile(logFile, 'utf8');
    assert.match(text, /starting .*report-and-succeed\.sh --defaults-extra-file=\S+credentials\.cnf/);
    assert.ok(!text.includes('pw "with"') && !text.includes('$HOME;|&'), 'no password in the log');
  }));

test('kill() stops the tool and the children it started', { timeout: 20_000 }, () =>
  withTool('child-keeps-running.sh', async (config, logFile) => {
    const log = createLogger({ file: logFile });
    const run = await startBackup(config, CREDS, log);
    run.stdout.resume();
    await new Promise((res) => setTimeout(res, 300));
    const started = Date.now();
    run.kill();
    const r = await run.done;
    // Before KILL_GRACE_MS (2 s) would have sent SIGKILL: SIGTERM to the group reached the child too.
    assert.ok(Date.now() - started < KILL_GRACE_MS - 200, 'the child holding stderr outlived the tool');
    assert.equal(r.ok, false);
    assert.equal(r.signal, 'SIGTERM');
    assert.match(r.message, /^mariabackup was killed by SIGTERM/);
    await flushLogger(log);
    const childPid = /child=(\d+)/.exec(await readFile(logFile, 'utf8'))?.[1];
    assert.ok(childPid, 'the fixture logged its child');
    assert.ok(!isAlive(Number(childPid)), 'the child is gone');
  }));

test('a missing or non-executable tool resolves ok:false, stdout ends empty', { timeout: 20_000 }, async () => {
  await withTool('/nonexistent/bin/mariabackup', async (config, logFile) => {
    const log = createLogger({ file: logFile });
    const run = await startBackup(config, CREDS, log);
    assert.equal(run.pid, undefined);
    assert.equal(await readAll(run.stdout), '');
    const r = await run.done;
    assert.deepEqual(r, {
      ok: false, exitCode: null, signal: null, completedOk: false,
      message: 'mariabackup could not be started: /nonexistent/bin/mariabackup does not exist',
    });
    await flushLogger(log);
  });
  const tmp = await makeTempDir();
  try {
    const notExec = join(tmp.path, 'mariabackup');
    await writeFile(notExec, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
    const run = await startBackup(configFor(notExec, tmp.path), CREDS, createLogger({}));
    assert.equal(await readAll(run.stdout), '');
    assert.match((await run.done).message, /is not executable$/);
  } finally {
    await tmp.cleanup();
  }
});

test('an unusable temp dir or password is reported through done, not thrown', { timeout: 20_000 }, async () => {
  const log = createLogger({});
  const noTmp = await startBackup(configFor('/bin/true', '/nonexistent/tmp'), CREDS, log);
  assert.equal(await readAll(noTmp.stdout), '');
  assert.match((await noTmp.done).message, /^mariabackup not started: .*ENOENT/);
  await withTool('report-and-succeed.sh', async (config) => {
    const run = await startBackup(config, { user: 'u', password: 'two\nlines' }, log);
    const r = await run.done;
    assert.equal(r.ok, false);
    assert.match(r.message, /line break/);
    assert.ok(!r.message.includes('two'), 'the message does not repeat the password');
  });
});
