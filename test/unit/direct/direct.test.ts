import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { credentialsFromOptionText } from '../../../src/direct/credentials.js';
import { formatProgress, progressOn } from '../../../src/direct/progress.js';
import { backupDirName } from '../../../src/direct/stamp.js';

test('option file: user and password of the client groups, quotes and escapes undone, other groups ignored', () => {
  const text = [
    '[mysqld]', 'user=mysql', '',
    '[client]', 'user = zrm_backup', `password = "s3cr'et \\"pw\\" $HOME;|&"`, '# a comment', 'socket=/run/mysqld.sock',
    '[mysqldump]', 'password=not-this',
  ].join('\n');
  assert.deepEqual(credentialsFromOptionText(text), { user: 'zrm_backup', password: `s3cr'et "pw" $HOME;|&` });
  assert.deepEqual(credentialsFromOptionText('[client]\nuser=a\n[mariabackup]\nuser=b\npassword=x # note\n'), { user: 'b', password: 'x' });
  assert.deepEqual(credentialsFromOptionText('user=nobody\n'), {}, 'outside any group: not an option');
});

test('backup directory names: UTC, sortable, no colons', () => {
  assert.equal(backupDirName(new Date('2026-11-29T17:30:00.123Z')), '2026-11-29T17-30-00Z');
});

test('progress line: bytes, rate, elapsed; with the server\'s size a percentage (never 100 before the end) and time left', () => {
  assert.equal(formatProgress({ bytes: 10 * 1024 * 1024, elapsedMs: 2000 }), '10.0 MiB  5.0 MiB/s  00:02');
  assert.equal(formatProgress({ bytes: 50 * 1024 * 1024, elapsedMs: 10_000, estimate: 100 * 1024 * 1024 }), '50.0 MiB  5.0 MiB/s  00:10  ~50% of 100.0 MiB, ~00:10 left');
  assert.match(formatProgress({ bytes: 300, elapsedMs: 1000, estimate: 200 }), /~99% of 200 B$/);
});

class Sink extends Writable {
  text = '';
  isTTY = false;
  override _write(chunk: Buffer, _e: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

test('progress: nothing at all when stderr is not a terminal; one refreshed line (\\r) ending in a newline when it is', () => {
  const pipe = new Sink();
  const p = progressOn(pipe);
  p.add(100);
  p.finish();
  assert.equal(pipe.text, '');
  const tty = new Sink();
  tty.isTTY = true;
  let t = 0;
  const q = progressOn(tty, () => t);
  q.setEstimate(1000);
  t = 1000;
  q.add(500);
  q.finish();
  assert.ok(!tty.text.slice(0, -1).includes('\n'), 'one line, redrawn in place');
  assert.match(tty.text, /^\r500 B {2}500 B\/s {2}00:01 {2}~50% of 1000 B, ~00:01 left\x1b\[K/);
  assert.ok(tty.text.endsWith('\n'));
});
