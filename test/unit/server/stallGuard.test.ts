import { test } from 'node:test';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { StallError, StallGuard } from '../../../src/server/stall.js';

// One timer per stream: each wait gets the whole deadline from its own start (the timer is
// refreshed), a wait that ended in time is never blamed later, and a wait that never ends is.

test('StallGuard: waits that each end in time never stall, however long the stream lasts', async () => {
  let stalls = 0;
  const guard = new StallGuard(0.3, () => stalls++);
  try {
    // Five waits of 0.1 s: together longer than the deadline, each well inside it.
    for (let i = 0; i < 5; i++) assert.equal(await guard.wait(sleep(100, i)), i);
    // Time passes with nothing waiting: the timer may fire, and must blame no one.
    await sleep(400);
    assert.equal(stalls, 0);
  } finally {
    guard.dispose();
  }
});

test('StallGuard: a wait that never ends fails with StallError after onStall', async () => {
  let stalls = 0;
  const guard = new StallGuard(0.2, () => stalls++);
  try {
    assert.equal(await guard.wait(Promise.resolve('quick')), 'quick');
    await assert.rejects(guard.wait(new Promise<never>(() => undefined)), StallError);
    assert.equal(stalls, 1);
  } finally {
    guard.dispose();
  }
});
