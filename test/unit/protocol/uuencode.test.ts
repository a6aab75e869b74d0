import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { ProtocolError } from '../../../src/errors.js';
import { uudecode, uudecodedMaxLength, uudecodeInto, uuencode, uuencodedLength, uuencodeInto } from '../../../src/protocol/uuencode.js';

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

test('uuencodeInto and uudecodeInto work at an offset and write nothing outside their range', () => {
  for (const n of [1, 44, 45, 46, 89, 90, 91, 10240]) {
    const data = randomBytes(n);
    const text = Buffer.alloc(uuencodedLength(n) + 10, 0xaa);
    assert.equal(uuencodeInto(data, text, 5), 5 + uuencodedLength(n));
    assert.ok(text.subarray(5, 5 + uuencodedLength(n)).equals(uuencode(data)), `n=${n}`);
    assert.ok(text.subarray(0, 5).equals(Buffer.alloc(5, 0xaa)) && text.subarray(-5).equals(Buffer.alloc(5, 0xaa)));
    const encoded = uuencode(data);
    const out = Buffer.alloc(3 + uudecodedMaxLength(encoded.length) + 3, 0xbb);
    const end = uudecodeInto(encoded, out, 3);
    assert.equal(end, 3 + n);
    assert.ok(out.subarray(3, end).equals(data), `n=${n}`);
    assert.ok(out.subarray(0, 3).equals(Buffer.alloc(3, 0xbb)) && out.subarray(end).equals(Buffer.alloc(out.length - end, 0xbb)));
  }
});

test('uudecode names the first bad character wherever it is in a line', () => {
  const good = uuencode(Buffer.alloc(90, 0x5a)); // two full lines of 62 characters
  for (const at of [1, 2, 4, 5, 30, 57, 58, 59, 63, 64, 100, 121]) {
    const bad = Buffer.from(good);
    bad[at] = 0x61;
    assert.throws(() => uudecode(bad), new RegExp(`bad character 0x61 at offset ${at}$`), `at ${at}`);
    bad[at + 1] = 0x7e; // a second bad one after it changes nothing
    assert.throws(() => uudecode(bad), new RegExp(`at offset ${at}$`), `at ${at}`);
  }
});
