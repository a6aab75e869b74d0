import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Readable } from 'node:stream';
import { ProtocolError } from '../../../src/errors.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { collect, isViewOf, pulledReaderOf, readerOf } from './streams.js';

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

test('readSome hands out what arrived, without copying, up to max', async () => {
  const pieces = [Buffer.from('abcdef'), Buffer.from('gh'), Buffer.from('ijklmn')];
  const r = new StreamReader(Readable.from(pieces));
  const got: Buffer[] = [];
  for (let b = await r.readSome(4); b !== null; b = await r.readSome(4)) got.push(b);
  assert.deepEqual(got.map(String), ['abcd', 'ef', 'gh', 'ijkl', 'mn']);
  assert.ok(got.every((b) => pieces.some((p) => isViewOf(b, p))), 'views of the received pieces');
  assert.equal(await r.readSome(1), null);
});

test('peek looks ahead across pieces without consuming, and never waits', async () => {
  const r = pulledReaderOf('abcdefgh', 3);
  assert.equal(r.peek(1), null, 'nothing buffered yet');
  assert.equal((await r.readExact(1))?.toString(), 'a');
  assert.equal(r.peek(2)?.toString(), 'bc');
  assert.equal(r.peek(3), null);
  assert.equal((await r.readExact(3))?.toString(), 'bcd');
  assert.equal(r.peek(2)?.toString(), 'ef');
  await r.readExact(2);
  assert.equal(r.peek(0)?.length, 0);
  assert.equal((await r.readSome(10))?.toString(), 'gh');
  // Bytes spread over several pieces (left buffered by a read that found EOF first).
  const spread = pulledReaderOf('abcdef', 2);
  await assert.rejects(spread.readExact(7), /after 6 of 7/);
  assert.equal(spread.peek(5)?.toString(), 'abcde');
  assert.equal(spread.peek(6)?.toString(), 'abcdef');
  assert.equal(spread.peek(7), null);
  assert.equal((await spread.readExact(6))?.toString(), 'abcdef');
});

test('copyBuffered copies what is buffered across pieces without consuming it; skip consumes it', async () => {
  for (const size of [1, 3, 7, 1000]) {
    const r = readerOf('head\nABCDEFGHIJ', size);
    assert.equal(await r.readLine(), 'head');
    assert.equal(await r.ensure(10), true);
    const target = Buffer.alloc(14, '.');
    assert.equal(r.copyBuffered(target, 2, 6), 6);
    assert.equal(target.toString(), '..ABCDEF......');
    assert.equal(r.copyBuffered(target, 0, 100), 10, 'no more than is buffered');
    assert.equal(target.toString(), 'ABCDEFGHIJ....');
    assert.equal(r.position, 5, 'nothing consumed');
    r.skip(7);
    assert.equal(r.position, 12);
    assert.throws(() => r.skip(4), RangeError);
    assert.equal(r.take(3).toString(), 'HIJ');
    assert.equal(r.copyBuffered(target, 0, 5), 0);
  }
});

test('one reader for lines and exact counts: ensure/take/takeSome keep position, mix with readLine', async () => {
  for (const size of [1, 3, 7, 1000]) {
    const r = readerOf('head\nABCDEFGHIJ', size);
    assert.equal(await r.readLine(), 'head');
    assert.equal(r.position, 5);
    assert.equal(await r.ensure(4), true);
    assert.equal(r.take(4).toString(), 'ABCD');
    assert.equal(r.position, 9);
    assert.equal(await r.ensure(1), true);
    const some = r.takeSome(100);
    assert.ok(some.length >= 1 && some.length <= Math.min(size, 6), `takeSome gave ${some.length} with pieces of ${size}`);
    assert.equal(r.position, 9 + some.length);
    assert.equal(await r.ensure(100), false, 'EOF before 100 more bytes');
    assert.equal(r.take(r.available).toString(), 'ABCDEFGHIJ'.slice(4 + some.length));
    assert.throws(() => r.take(1), RangeError);
  }
});

test('a read error is a ProtocolError by default, passed on as it is with wrapReadErrors: false', async () => {
  const failing = async function* (): AsyncGenerator<Buffer> {
    yield Buffer.from('ab');
    throw new Error('disk on fire');
  };
  const wrapped = new StreamReader(failing());
  await assert.rejects(wrapped.ensure(3), (err: unknown) => err instanceof ProtocolError && /read failed: disk on fire/.test(err.message));
  const raw = new StreamReader(failing(), { wrapReadErrors: false });
  await assert.rejects(raw.ensure(3), (err: unknown) => !(err instanceof ProtocolError) && (err as Error).message === 'disk on fire');
  const strict = new StreamReader(Readable.from(['text'], { objectMode: true }), { bytesOnly: true });
  await assert.rejects(strict.ensure(1), TypeError);
});

test('close() stops the source', async () => {
  let closed = false;
  const source = (async function* (): AsyncGenerator<Buffer> {
    try {
      for (;;) yield Buffer.from('xyz');
    } finally {
      closed = true;
    }
  })();
  const r = new StreamReader(source);
  assert.equal(await r.ensure(5), true);
  await r.close();
  assert.equal(closed, true);
  assert.equal(r.available, 0);
  assert.equal(await r.ensure(1), false);
});

test('a Readable source is read ahead only so far: then it is paused until the reader needs more', async () => {
  const piece = 64 * 1024;
  let produced = 0;
  const source = new Readable({
    highWaterMark: piece,
    read() {
      produced += piece;
      this.push(produced <= 64 * piece ? Buffer.alloc(piece, 1) : null);
    },
  });
  const r = new StreamReader(source);
  assert.equal((await r.readExact(1))?.length, 1);
  // Give a source that is never paused every chance to run through all 4 MiB.
  for (let i = 0; i < 50; i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(r.bufferedLength <= 1024 * 1024 + piece, `read ${r.bufferedLength} bytes ahead`);
  assert.ok(produced < 32 * piece, `the source produced ${produced} bytes for a reader that took 1`);
  let total = 1;
  for (let b = await r.readSome(1 << 20); b !== null; b = await r.readSome(1 << 20)) total += b.length;
  assert.equal(total, 64 * piece);
});

test('a source that failed before the first read reports its own error (a reset), not "premature close"', async () => {
  // The client's socket is reset while no one reads it yet (xinetd refusing a connection under
  // load): its error went to a listener that only keeps it from crashing the process.
  const source = new PassThrough();
  source.on('error', () => undefined);
  source.destroy(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }));
  await new Promise((res) => setImmediate(res));
  const reader = new StreamReader(source);
  await assert.rejects(reader.readExact(4), /ECONNRESET/);
});
