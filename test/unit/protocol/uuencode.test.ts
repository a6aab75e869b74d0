import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../../../src/errors.js';
import { uudecode, uuencode, uuencodedLength } from '../../../src/protocol/uuencode.js';

const text = (s: string): Buffer => Buffer.from(s, 'latin1');

test('uuencode matches Perl pack("u*") on known values', () => {
  // Values as perl -e 'print pack("u*", ...)' prints them.
  assert.equal(uuencode(text('a')).toString('latin1'), '!80``\n');
  assert.equal(uuencode(text('Cat')).toString('latin1'), '#0V%T\n');
  assert.equal(uuencode(Buffer.alloc(3)).toString('latin1'), '#````\n');
  assert.equal(uuencode(Buffer.alloc(0)).length, 0);
  const line45 = uuencode(Buffer.alloc(45, 0xff)).toString('latin1');
  assert.equal(line45, `M${'_'.repeat(60)}\n`);
  const two = uuencode(Buffer.alloc(46, 0xff)).toString('latin1');
  assert.equal(two, `M${'_'.repeat(60)}\n!_P\`\`\n`);
});

test('uuencodedLength is the exact output length', () => {
  for (let n = 0; n < 200; n++) assert.equal(uuencodedLength(n), uuencode(Buffer.alloc(n, 7)).length, `n=${n}`);
  assert.equal(uuencodedLength(10240), 14112);
});

test('uudecode inverts uuencode for every length up to 300', () => {
  for (let n = 0; n <= 300; n++) {
    const data = randomBytes(n);
    assert.deepEqual(uudecode(uuencode(data)), data, `n=${n}`);
  }
});

test('uudecode accepts a space as the zero character', () => {
  assert.deepEqual(uudecode(text('#    \n')), Buffer.alloc(3));
});

test('uudecode rejects malformed input', () => {
  const bad: Array<[string, string]> = [
    ['!80``', 'missing newline'],
    ['!80`\n', 'line shorter than its length'],
    ['!80```\n', 'line longer than its length'],
    ['`\n', 'zero-length line'],
    ['N' + '`'.repeat(64) + '\n', 'length 46'],
    ['!8a``\n', 'character above backtick'],
    ['!8\x1f``\n', 'control character'],
    ['!80``\r\n', 'CRLF'],
    ['!80``\n\n', 'trailing empty line'],
    ['!80``\nxyz', 'trailing garbage'],
    ['\x7f80``\n', 'bad length character'],
  ];
  for (const [input, why] of bad) {
    assert.throws(() => uudecode(text(input)), ProtocolError, why);
  }
});
