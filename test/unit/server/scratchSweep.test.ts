import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { scratchPrefix } from '../../../src/backupTool/scratch.js';
import { LEGACY_VERSION, header, serve, withServerEnv } from './harness.js';

// Issue 8, case 5: a server killed with SIGKILL leaves its scratch (the credential file, a
// partial backup); the next server start removes what belongs to processes that are gone.

test('fault: server killed (SIGKILL) mid-backup | both | next server start removes its scratch (credential file, partial backup)', () =>
  withServerEnv(async (env) => {
    const child = execa('true');
    const deadPid = child.pid ?? 0;
    await child;
    const dead = join(env.tmp, `${scratchPrefix('backup', deadPid)}abc123`);
    const deadLegacy = join(env.tmp, `${scratchPrefix('legacy', deadPid)}def456`);
    const live = join(env.tmp, `${scratchPrefix('backup', 1)}keep01`);
    const other = join(env.tmp, 'zrm-something-else');
    for (const d of [dead, deadLegacy, live, other]) await mkdir(join(d, 'cnf-x'), { recursive: true });
    await writeFile(join(dead, 'cnf-x', 'credentials.cnf'), '[client]\npassword="secret"\n', { mode: 0o600 });
    const r = await serve(env, [header(LEGACY_VERSION, 'remove-backup-data', `LINKS ${join(env.data, 'nothing')}`, env.tmp)]);
    assert.deepEqual((await readdir(env.tmp)).sort(), [live, other].map((p) => p.slice(env.tmp.length + 1)).sort());
    assert.match(r.log, new RegExp(`removed .*${deadPid}.*which is gone`));
  }));
