import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import { ProtocolError } from '../../../src/errors.js';
import { endWritable, writeAll } from '../../../src/protocol/io.js';
import { Sink } from './streams.js';

/** A Writable that accepts one chunk only when release() is called. */
function slowSink(): { out: Writable; got: Buffer[]; release: () => void } {
  const got: Buffer[] = [];
  let waiting: (() => void) | undefined;
  const out = new Writable({
    highWaterMark: 16,
    write(chunk: Buffer, _enc, cb) {
      got.push(chunk);
      waiting = () => cb();
    },
  });
  return { out, got, release: () => { const w = waiting; waiting = undefined; w?.(); } };
}

test('writeAll waits for drain when the buffer is full', async () => {
  const { out, got, release } = slowSink();
  await writeAll(out, Buffer.alloc(8)); // under the high-water mark: accepted at once
  let done = false;
  const p = writeAll(out, Buffer.alloc(64)).then(() => { done = true; });
  await tick();
  await tick();
  assert.equal(done, false, 'must wait for drain');
  release();
  await tick();
  release();
  await p;
  assert.equal(done, true);
  assert.equal(Buffer.concat(got).length, 72);
});

test('writeAll rejects on a destroyed or ended stream', async () => {
  const a = new PassThrough();
  a.destroy();
  await assert.rejects(writeAll(a, 'x'), ProtocolError);
  const b = new Sink();
  b.end();
  await assert.rejects(writeAll(b, 'x'), ProtocolError);
});

test('writeAll rejects when the stream errors while waiting', async () => {
  const { out } = slowSink();
  await writeAll(out, Buffer.alloc(8));
  const p = writeAll(out, Buffer.alloc(64));
  out.destroy(new Error('EPIPE'));
  await assert.rejects(p, /EPIPE/);
});

test('an error between writes does not crash, and the next write reports it', async () => {
  const { out } = slowSink();
  await writeAll(out, Buffer.alloc(4));
  out.destroy(new Error('EPIPE later'));
  await tick();
  await assert.rejects(writeAll(out, 'x'), /EPIPE later/);
});

test('endWritable waits for finish and leaves all data written', async () => {
  const sink = new Sink();
  await writeAll(sink, 'abc');
  await endWritable(sink);
  assert.equal(sink.writableFinished, true);
  assert.equal(sink.data.toString(), 'abc');
  await endWritable(sink); // again: already finished
});

test('endWritable rejects when the stream fails before finishing', async () => {
  const { out } = slowSink();
  await writeAll(out, Buffer.alloc(4));
  const p = endWritable(out);
  out.destroy(new Error('reset'));
  await assert.rejects(p, /reset/);
});

test('writeAll does not wait for drain when the stream passed everything on at once', async () => {
  const sink = new Writable({ highWaterMark: 16, write: (_c, _e, cb) => cb() });
  const p = writeAll(sink, Buffer.alloc(64)); // over the mark, but handed on synchronously
  assert.equal(sink.listenerCount('drain'), 0);
  await p;
});

test('writeAll sends several buffers as one write and keeps their order', async () => {
  const calls: Buffer[][] = [];
  const out = new Writable({
    write: (chunk: Buffer, _e, cb) => { calls.push([chunk]); cb(); },
    writev: (chunks, cb) => { calls.push(chunks.map((c) => c.chunk as Buffer)); cb(); },
  });
  await writeAll(out, [Buffer.from('a'), Buffer.from('bc'), Buffer.from('d')]);
  await writeAll(out, []);
  assert.deepEqual(calls.map((c) => Buffer.concat(c).toString()), ['abcd']);
  assert.equal(calls[0]?.length, 3);
  const { out: slow, release } = slowSink();
  let done = false;
  const p = writeAll(slow, [Buffer.alloc(10), Buffer.alloc(10)]).then(() => { done = true; });
  await tick();
  assert.equal(done, false, 'over the high-water mark: waits for drain');
  release();
  await tick();
  release();
  await p;
});
