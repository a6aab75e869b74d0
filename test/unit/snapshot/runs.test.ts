import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chown, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armState, ensureStateDir, readArmedState, STATE_FILE } from '../../../src/snapshot/state.js';
import { makeTempDir } from '../../helpers/tempDir.js';
import { makeContext, memoryLogger, runPlugin as run, settle } from './helpers.js';

// Two backup sets of one database host: each run has its own state, one never disarms the other,
// and a second run is refused clearly while the first holds the host (issue 8, case 1).

async function withRuns(fn: (r: { stateDir: string; as: (set: string | null) => ReturnType<typeof makeContext> }) => Promise<void>): Promise<void> {
  const tmp = await makeTempDir('zrm-runs-');
  try {
    const stateDir = join(tmp.path, 'state');
    const confs = new Map<string, string>();
    for (const set of ['A', 'B']) {
      const path = join(tmp.path, `zrm-${set}.conf`);
      await writeFile(path, `user=zrm_backup\npassword=pw-${set}\nbackup-set=${set}\ndestination=/var/lib/mysql-zrm/\n`, { mode: 0o600 });
      confs.set(set, path);
    }
    const anonymous = join(tmp.path, 'zrm-anon.conf');
    await writeFile(anonymous, 'user=someone\npassword=x\n', { mode: 0o600 });
    await fn({ stateDir, as: (set) => makeContext(stateDir, { ZRM_CONF: set === null ? anonymous : (confs.get(set) ?? '') }) });
  } finally {
    await tmp.cleanup();
  }
}

const armedSet = async (dir: string) => (await readArmedState(dir, 3600, memoryLogger().logger))?.run.set ?? null;

test('fault: two runs on one host | both | the second run\'s create-snapshot exits 1 "another backup is running on this host"; the first stays armed', () =>
  withRuns(async ({ stateDir, as }) => {
    assert.equal(await run(as('A'), ['--action', 'create-snapshot', '--dev', '/dev/null', '--sname', 'null']), 0);
    assert.equal(await run(as('A'), ['--action', 'mount', '--dev', '/dev/null']), 0);
    assert.equal(await armedSet(stateDir), 'A');

    const b = as('B');
    assert.equal(await run(b, ['--action', 'create-snapshot', '--dev', '/dev/null', '--sname', 'null']), 1);
    assert.match(b.stderr.text, /another backup is running on this host: backup set 'A' .*refusing backup set 'B'/);
    assert.match(b.stderr.text, /if that run died, its lock lapses after \[state\] max_age, \d+ s, or when \/.*\/lock is removed/);
    const b2 = as('B');
    assert.equal(await run(b2, ['--action', 'mount', '--dev', '/dev/null']), 1);
    assert.match(b2.stderr.text, /another backup is running/);
    // B's clean-up after its failure, and a stray client's umount, leave A armed.
    assert.equal(await run(as('B'), ['--action', 'umount']), 0);
    assert.equal(await run(as('B'), ['--action', 'remove-snapshot']), 0);
    assert.equal(await run(as(null), ['--action', 'umount']), 0);
    assert.equal(await armedSet(stateDir), 'A');
    const state = await readArmedState(stateDir, 3600, memoryLogger().logger);
    assert.equal(state?.password, 'pw-A');

    // A finishes; then B may run.
    assert.equal(await run(as('A'), ['--action', 'umount']), 0);
    assert.equal(await armedSet(stateDir), null);
    assert.equal(await run(as('A'), ['--action', 'remove-snapshot']), 0);
    assert.deepEqual(await readdir(stateDir), []);
    assert.equal(await run(as('B'), ['--action', 'create-snapshot']), 0);
    assert.equal(await run(as('B'), ['--action', 'mount']), 0);
    assert.equal(await armedSet(stateDir), 'B');
  }));

test('runs: the same set after a crashed run takes its own lock back', () =>
  withRuns(async ({ stateDir, as }) => {
    assert.equal(await run(as('A'), ['--action', 'create-snapshot']), 0);
    assert.equal(await run(as('A'), ['--action', 'mount']), 0);
    assert.equal(await run(as('A'), ['--action', 'create-snapshot']), 0);
    assert.equal(await armedSet(stateDir), null, 'the leftover state of the dead run is gone');
  }));

test('fault: stale state (stamped in the future) | both | state removed with a warning; the copy is a plain one', async () => {
  const tmp = await makeTempDir('zrm-future-');
  try {
    const dir = join(tmp.path, 'state');
    await ensureStateDir(dir);
    const now = new Date('2026-11-25T12:00:00Z');
    await armState(dir, { user: 'u', password: 'p' }, new Date(now.getTime() + 60_000));
    const { logger, lines } = memoryLogger();
    assert.notEqual(await readArmedState(dir, 3600, logger, now), null, 'a minute of skew is tolerated');
    await armState(dir, { user: 'u', password: 'p' }, new Date(now.getTime() + 86_400_000));
    assert.equal(await readArmedState(dir, 3600, logger, now), null);
    await settle();
    assert.deepEqual(await readdir(dir), []);
    assert.ok(lines.some((l) => /^warn: removed stale state file .* in the future/.test(l)), lines.join('\n'));
  } finally {
    await tmp.cleanup();
  }
});

test('fault: stale or foreign-owned state | both | create-snapshot, mount and the server\'s copy from exit non-zero naming the file and its owner; nothing of it is read or removed', () =>
  withRuns(async ({ stateDir, as }) => {
    const MYSQL_UID = 102;
    // A lock planted by another uid (or left by a run as another user): refused, left in place.
    await mkdir(stateDir, { mode: 0o700 });
    await writeFile(join(stateDir, 'lock'), `${Math.floor(Date.now() / 1000)}\nA\n/var/lib/mysql-zrm\n`, { mode: 0o600 });
    await chown(join(stateDir, 'lock'), MYSQL_UID, MYSQL_UID);
    const a = as('A');
    assert.equal(await run(a, ['--action', 'create-snapshot']), 1);
    assert.match(a.stderr.text, new RegExp(`state file .*/lock is owned by uid ${MYSQL_UID}, not by uid 0; refusing to read it`));
    assert.deepEqual(await readdir(stateDir), ['lock']);
    // A state file of another uid: the server's copy from refuses it instead of using its password.
    await rm(join(stateDir, 'lock'));
    await writeFile(join(stateDir, STATE_FILE), `${Math.floor(Date.now() / 1000)}\nu\nsecret-pw\nA\n/var/lib/mysql-zrm\n`, { mode: 0o600 });
    await chown(join(stateDir, STATE_FILE), MYSQL_UID, MYSQL_UID);
    await assert.rejects(readArmedState(stateDir, 3600, memoryLogger().logger), /is owned by uid 102/);
    // A state directory of another uid: every action that needs it refuses.
    await rm(join(stateDir, STATE_FILE));
    await chown(stateDir, MYSQL_UID, MYSQL_UID);
    const b = as('B');
    assert.equal(await run(b, ['--action', 'create-snapshot']), 1);
    assert.match(b.stderr.text, new RegExp(`state directory ${stateDir} is owned by uid ${MYSQL_UID}`));
    const m = as('B');
    assert.equal(await run(m, ['--action', 'mount']), 1);
    assert.match(m.stderr.text, /is owned by uid 102/);
    // Put right, the next run works.
    await chown(stateDir, 0, 0);
    assert.equal(await run(as('B'), ['--action', 'create-snapshot']), 0);
    assert.equal(await run(as('B'), ['--action', 'mount']), 0);
    assert.equal(await armedSet(stateDir), 'B');
  }));
