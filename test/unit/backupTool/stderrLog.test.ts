import { test } from 'node:test';
import assert from 'node:assert/strict';
import { MAX_LINE, StderrLog } from '../../../src/backupTool/stderrLog.js';

test('lines are emitted as they complete, across chunk boundaries, CRLF and blanks handled', () => {
  const got: string[] = [];
  const log = new StderrLog((l) => got.push(l));
  log.push('one\ntw');
  assert.deepEqual(got, ['one']);
  log.push('o\r\n\n   \nthree');
  assert.deepEqual(got, ['one', 'two']);
  log.end();
  assert.deepEqual(got, ['one', 'two', 'three']);
  assert.deepEqual(log.lastLines(), ['one', 'two', 'three']);
});

test('only the last lines are kept', () => {
  const log = new StderrLog(() => undefined, 3);
  for (let i = 0; i < 10; i++) log.push(`line ${i}\n`);
  assert.deepEqual(log.lastLines(), ['line 7', 'line 8', 'line 9']);
});

test('a line without end is sliced, never held whole', () => {
  const got: string[] = [];
  const log = new StderrLog((l) => got.push(l));
  log.push('x'.repeat(MAX_LINE * 2 + 5));
  assert.equal(got.length, 2);
  assert.ok(got.every((l) => l.length === MAX_LINE));
  log.end();
  assert.equal(got.at(-1), 'xxxxx');
});
