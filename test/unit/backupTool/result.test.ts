import { test } from 'node:test';
import assert from 'node:assert/strict';
import { judgeResult, lastErrorLine } from '../../../src/backupTool/result.js';

const OK_LOG = ['[00] 2026-11-25 13:23:52 Redo log (from LSN 1 to 2) was copied.', '[00] 2026-11-25 13:23:52 completed OK!'];

test('ok needs exit 0 and a last line ending in completed OK!', () => {
  const r = judgeResult('mariabackup', '/usr/bin/mariabackup', { exitCode: 0, signal: null }, OK_LOG);
  assert.deepEqual(r, { ok: true, exitCode: 0, signal: null, completedOk: true, message: 'mariabackup completed OK' });
});

test('exit 0 without completed OK! is a failure that says so', () => {
  const r = judgeResult('mariabackup', '/x', { exitCode: 0, signal: null }, ['copying done']);
  assert.equal(r.ok, false);
  assert.equal(r.completedOk, false);
  assert.equal(r.message, 'mariabackup exited 0 but its log does not end in "completed OK!" (last line: copying done)');
  assert.match(judgeResult('mariabackup', '/x', { exitCode: 0, signal: null }, []).message, /log is empty/);
});

test('completed OK! followed by more lines does not count', () => {
  const r = judgeResult('mariabackup', '/x', { exitCode: 0, signal: null }, [...OK_LOG, 'an afterthought']);
  assert.equal(r.ok, false);
});

test('a non-zero exit names the last error-like line, without the [00] timestamp prefix', () => {
  const lines = [
    '[00] 2026-11-25 13:23:52 Connecting to MariaDB server host: localhost, user: bk, password: set',
    "[00] 2026-11-25 13:23:52 Failed to connect to MariaDB server: Access denied for user 'bk'@'localhost' (using password: YES).",
    '[00] 2026-11-25 13:23:52 some trailing noise',
  ];
  const r = judgeResult('mariabackup', '/x', { exitCode: 1, signal: null }, lines);
  assert.equal(r.message, "mariabackup exited 1: Failed to connect to MariaDB server: Access denied for user 'bk'@'localhost' (using password: YES).");
  assert.equal(r.ok, false);
});

test('a signal and a spawn failure each get their own message', () => {
  assert.equal(judgeResult('mariabackup', '/x', { exitCode: null, signal: 'SIGKILL' }, []).message, 'mariabackup was killed by SIGKILL (nothing on stderr)');
  const missing = judgeResult('mariabackup', '/opt/mb', { exitCode: null, signal: null, spawnError: { code: 'ENOENT', message: 'spawn ENOENT' } }, []);
  assert.equal(missing.message, 'mariabackup could not be started: /opt/mb does not exist');
  assert.equal(missing.ok, false);
  const noexec = judgeResult('xtrabackup', '/opt/xb', { exitCode: null, signal: null, spawnError: { code: 'EACCES', message: 'x' } }, []);
  assert.equal(noexec.message, 'xtrabackup could not be started: /opt/xb is not executable');
});

test('lastErrorLine falls back to the last line and trims very long ones', () => {
  assert.equal(lastErrorLine(['a', 'b']), 'b');
  assert.equal(lastErrorLine([]), undefined);
  assert.equal(lastErrorLine(['x'.repeat(1000)])?.length, 303);
});
