import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa } from 'execa';
import { holdOutput } from '../../../src/process/holdOutput.js';
import type { Session } from '../../../src/server/context.js';
import { pumpToClient } from '../../../src/server/stall.js';
import { Sink } from '../protocol/streams.js';

// A child's stdout held at spawn time keeps every byte while we await other things first (the
// greeting, a mkdtemp), although execa resumes an untouched stdout on the next tick; and the
// server's send loop starts a held (paused) stdout itself.

const BYTES = 300_000;

function quickChild() {
  // Done long before the reader comes back: only the held stream can still have its bytes.
  return execa('head', ['-c', String(BYTES), '/dev/zero'], { stdout: 'pipe', stderr: 'ignore', buffer: { stdout: false } });
}

test('holdOutput keeps a quick child\'s whole output until it is read', async () => {
  const child = quickChild();
  const held = holdOutput(child.stdout);
  await sleep(100); // the ticks execa would use to resume it; not a timing assertion
  let got = 0;
  for await (const chunk of held) got += (chunk as Buffer).length;
  assert.equal(got, BYTES);
  assert.equal((await child).exitCode, 0);
});

test('pumpToClient sends all of a held stdout (it resumes the paused stream)', async () => {
  const child = quickChild();
  const held = holdOutput(child.stdout);
  await sleep(100);
  const out = new Sink();
  const session = { output: out, bytes: 0, deps: { config: { server: { stallTimeout: 60 } } } } as unknown as Session;
  await pumpToClient(session, held, (chunk) => out.write(chunk));
  assert.equal(session.bytes, BYTES);
  assert.equal(out.chunks.reduce((n, c) => n + c.length, 0), BYTES);
  await child;
});

test('a held stdout read with a plain \'data\' listener flows (as an unheld one would)', async () => {
  const child = quickChild();
  const held = holdOutput(child.stdout);
  await sleep(100);
  let got = 0;
  held.on('data', (c: Buffer) => {
    got += c.length;
  });
  await new Promise((resolve) => held.once('end', resolve));
  assert.equal(got, BYTES);
  await child;
});

test('a child that exits before its stdout is read: its few bytes are still there, and the end', async () => {
  // Node resumes a finished child's stdout that nobody listens to: the bytes must not go with it.
  const child = execa('printf', ['abc'], { stdout: 'pipe', stderr: 'ignore', buffer: { stdout: false } });
  const held = holdOutput(child.stdout);
  await child;
  await sleep(100);
  const out = new Sink();
  const session = { output: out, bytes: 0, deps: { config: { server: { stallTimeout: 60 } } } } as unknown as Session;
  await pumpToClient(session, held, (chunk) => out.write(chunk));
  assert.equal(Buffer.concat(out.chunks).toString(), 'abc');
});
