import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../src/errors.js';
import { formatStatusBlock, readStatusBlock } from '../../../src/protocol/statusBlock.js';
import { readerOf } from './streams.js';

test('formatStatusBlock: SUCCESS/ERROR, count, lines', () => {
  assert.equal(formatStatusBlock(true, []), 'SUCCESS\n0\n');
  assert.equal(formatStatusBlock(false, ['boom']), 'ERROR\n1\nboom\n');
  assert.equal(formatStatusBlock(true, ['a\nb', 'c\n', '']), 'SUCCESS\n4\na\nb\nc\n\n');
});

test('status block round trip, in any delivery pieces', async () => {
  const lines = ['device=/dev/null', '', 'relative-copy-dir=;16877;0;0', 'with\r', 'snapshot-mount-point=/tmp/zrm-innosnap'];
  for (const ok of [true, false]) {
    for (const size of [1, 4, Infinity]) {
      const r = readerOf(`${formatStatusBlock(ok, lines)}after\n`, size);
      assert.deepEqual(await readStatusBlock(r), { ok, lines });
      assert.equal(await r.readLine(), 'after');
    }
  }
});

test('readStatusBlock rejects malformed replies', async () => {
  const cases: Array<[string, RegExp]> = [
    ['', /closed before the status reply/],
    ['OK\n0\n', /SUCCESS or ERROR/],
    ['success\n0\n', /SUCCESS or ERROR/],
    ['SUCCESS\r\n0\n', /SUCCESS or ERROR/],
    ['SUCCESS\n', /closed before the status line count/],
    ['SUCCESS\n-1\n', /not a number/],
    ['SUCCESS\n1.5\n', /not a number/],
    ['SUCCESS\n\n', /not a number/],
    ['SUCCESS\n 2\n', /not a number/],
    ['SUCCESS\nthree\n', /not a number/],
    ['SUCCESS\n99999999999999999999\n', /line|number/],
    ['SUCCESS\n3\na\nb\n', /after 2 of 3 status lines/],
    ['ERROR\n2\na\nb', /middle of a line/],
  ];
  for (const [wire, re] of cases) {
    await assert.rejects(readStatusBlock(readerOf(wire)), (err: unknown) => {
      assert.ok(err instanceof ProtocolError, `${JSON.stringify(wire)}: ${String(err)}`);
      assert.match(err.message, re, JSON.stringify(wire));
      return true;
    });
  }
});

test('readStatusBlock enforces maxLines before reading the lines', async () => {
  await assert.rejects(readStatusBlock(readerOf('SUCCESS\n11\n'), 10), /more than the limit of 10/);
  assert.equal((await readStatusBlock(readerOf(formatStatusBlock(true, Array(10).fill('x'))), 10)).lines.length, 10);
});
