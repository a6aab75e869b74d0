import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { ProtocolError } from '../../../src/errors.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { collect, readerOf } from './streams.js';

test('readLine returns exact lines, keeps \\r, then null at EOF', async () => {
  for (const size of [1, 2, 3, 1000]) {
    const r = readerOf('one\ntwo\r\n\nthree\n', size);
    assert.equal(await r.readLine(), 'one');
    assert.equal(await r.readLine(), 'two\r');
    assert.equal(await r.readLine(), '');
    assert.equal(await r.readLine(), 'three');
    assert.equal(await r.readLine(), null);
    assert.equal(await r.readLine(), null);
  }
});

test('readLine decodes UTF-8 split across chunks', async () => {
  const r = readerOf('héllo wörld\n', 1);
  assert.equal(await r.readLine(), 'héllo wörld');
});

test('readLine fails on EOF mid-line and on an overlong line', async () => {
  await assert.rejects(readerOf('no newline').readLine(), ProtocolError);
  await assert.rejects(readerOf('x'.repeat(100) + '\n', 7).readLine(50), /longer than 50/);
  await assert.rejects(readerOf('x'.repeat(100), 7).readLine(50), /longer than 50/);
  // Exactly maxLength is fine.
  assert.equal(await readerOf('x'.repeat(50) + '\n', 7).readLine(50), 'x'.repeat(50));
});

test('readLine does not hold an endless line in memory', async () => {
  const endless = new Readable({ read() { this.push(Buffer.alloc(4096, 0x41)); } });
  await assert.rejects(new StreamReader(endless).readLine(65536), /longer than 65536/);
  endless.destroy();
});

test('readExact across chunk boundaries, null at EOF, error when cut', async () => {
  const data = Buffer.from(Array.from({ length: 100 }, (_, i) => i));
  for (const size of [1, 3, 10, 100]) {
    const r = readerOf(data, size);
    assert.deepEqual(await r.readExact(0), Buffer.alloc(0));
    assert.deepEqual(await r.readExact(4), data.subarray(0, 4));
    assert.deepEqual(await r.readExact(90), data.subarray(4, 94));
    assert.deepEqual(await r.readExact(6), data.subarray(94));
    assert.equal(await r.readExact(1), null);
  }
  const cut = readerOf(data, 7);
  await assert.rejects(cut.readExact(101), /after 100 of 101/);
});

test('lines, exact reads and rest() mix on one stream', async () => {
  const payload = Buffer.alloc(50000, 0x5a);
  const wire = Buffer.concat([Buffer.from('HEADER\nabcd'), payload]);
  for (const size of [1, 5, 4096]) {
    const r = readerOf(wire, size);
    assert.equal(await r.readLine(), 'HEADER');
    assert.equal((await r.readExact(4))?.toString(), 'abcd');
    assert.deepEqual(await collect(r.rest()), payload);
    assert.equal(await r.readLine(), null);
  }
});

test('works over a live PassThrough written in pieces', async () => {
  const pt = new PassThrough();
  const r = new StreamReader(pt);
  const line = r.readLine();
  pt.write('hel');
  pt.write('lo\nwor');
  assert.equal(await line, 'hello');
  pt.end('ld\n');
  assert.equal(await r.readLine(), 'world');
  assert.equal(await r.readLine(), null);
});

test('a source error becomes a ProtocolError with the cause', async () => {
  const pt = new PassThrough();
  const r = new StreamReader(pt);
  pt.write('partial');
  const pending = r.readLine();
  pt.destroy(new Error('ECONNRESET'));
  await assert.rejects(pending, (err: unknown) => err instanceof ProtocolError && /ECONNRESET/.test(err.message));
});
