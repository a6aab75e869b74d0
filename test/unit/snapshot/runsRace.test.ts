import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '../../helpers/tempDir.js';
import { makeContext, runPlugin } from './helpers.js';

// The run lock's check-then-write race: many create-snapshot of different backup sets started at
// the same instant. Exactly one may win; every other one is refused, and the lock names the winner.

const RUNS = 24;

async function withSets(fn: (r: { stateDir: string; confs: string[] }) => Promise<void>): Promise<void> {
  const tmp = await makeTempDir('zrm-race-');
  try {
    const stateDir = join(tmp.path, 'state');
    const confs: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const path = join(tmp.path, `zrm-${i}.conf`);
      await writeFile(path, `user=zrm_backup\npassword=pw\nbackup-set=set${i}\ndestination=/var/lib/mysql-zrm\n`, { mode: 0o600 });
      confs.push(path);
    }
    await fn({ stateDir, confs });
  } finally {
    await tmp.cleanup();
  }
}

test('fault: two runs on one host at the same instant | both | exactly one create-snapshot wins; every other exits 1 "another backup is running on this host"', () =>
  withSets(async ({ stateDir, confs }) => {
    // In one process: every call's read of the lock happens before any call's write.
    const ctxs = confs.map((c) => makeContext(stateDir, { ZRM_CONF: c }));
    const codes = await Promise.all(ctxs.map((ctx) => runPlugin(ctx, ['--action', 'create-snapshot', '--dev', '/dev/null'])));
    const winners = codes.flatMap((c, i) => (c === 0 ? [i] : []));
    assert.equal(winners.length, 1, `winners: ${winners.map((i) => `set${i}`).join(', ')}`);
    for (const [i, ctx] of ctxs.entries()) {
      if (i !== winners[0]) assert.match(ctx.stderr.text, /another backup is running on this host: backup set 'set\d+'/);
    }
    assert.deepEqual(await readdir(stateDir), ['lock'], 'no temp files left behind');
    // The winner's mount arms; a loser's mount is refused.
    const w = winners[0] ?? -1;
    assert.equal(await runPlugin(makeContext(stateDir, { ZRM_CONF: confs[w] ?? '' }), ['--action', 'mount']), 0);
    assert.equal(await runPlugin(makeContext(stateDir, { ZRM_CONF: confs[(w + 1) % RUNS] ?? '' }), ['--action', 'mount']), 1);
  }));

test('runs: many runs at once over a stale lock: exactly one takes it over', () =>
  withSets(async ({ stateDir, confs }) => {
    await mkdir(stateDir, { mode: 0o700 });
    const old = Math.floor(Date.now() / 1000) - 7 * 24 * 3600;
    await writeFile(join(stateDir, 'lock'), `${old}\ndead-set\n/var/lib/mysql-zrm\n`, { mode: 0o600 });
    const ctxs = confs.map((c) => makeContext(stateDir, { ZRM_CONF: c }));
    const codes = await Promise.all(ctxs.map((ctx) => runPlugin(ctx, ['--action', 'create-snapshot'])));
    assert.equal(codes.filter((c) => c === 0).length, 1, codes.join(' '));
    assert.deepEqual(await readdir(stateDir), ['lock']);
  }));
