import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { armState, ensureStateDir } from '../../../src/snapshot/state.js';
import { readV2Frames } from '../../../src/protocol/v2Frames.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { V2_VERSION, collect, header, makeServerEnv, serve, writeExecutable, type ServerEnv } from './harness.js';

// mysqlhotcopy is a hot backup with the backup tool, like an armed `copy from`. The armed run's
// database credentials must not go to whoever asks while a ZRM run is armed: only to a request
// whose destination belongs to that run; anyone else must bring credentials of their own.

async function served(env: ServerEnv, params: string): Promise<{ status: number; line: string; payload: string }> {
  const r = await serve(env, [header(V2_VERSION, 'mysqlhotcopy', params, env.tmp)]);
  const nl = r.output.indexOf(0x0a);
  const line = r.output.subarray(0, nl).toString();
  if (!line.startsWith('OK')) return { status: r.status, line, payload: '' };
  const payload = await collect(readV2Frames(new StreamReader(Readable.from([r.output.subarray(nl + 1)]))));
  return { status: r.status, line, payload: payload.toString() };
}

test('mysqlhotcopy while a ZRM run is armed: the armed credentials only for a request into that run; anyone else needs their own', async () => {
  const env = await makeServerEnv();
  const tool = join(env.root, 'who-am-i.sh');
  await writeExecutable(
    tool,
    '#!/bin/sh\nfor a; do case "$a" in --defaults-extra-file=*) grep "^user" "${a#*=}";; esac; done\n' +
      "echo 'innobackupex: completed OK!' >&2\n",
  );
  env.config.backup.tool = 'innobackupex';
  env.config.backup.toolPath = tool;
  try {
    await ensureStateDir(env.state);
    await armState(env.state, { user: 'zrm_backup', password: 'the-armed-password' }, new Date(), { set: 'nightly', destination: '/var/lib/mysql-zrm' });
    const stolen = await served(env, '');
    assert.equal(stolen.status, 1, `a request with no credentials and no destination was served: ${stolen.line}`);
    assert.match(stolen.line, /^ERROR mysqlhotcopy: no credentials/);
    const elsewhere = await served(env, ' sbtest /srv/elsewhere');
    assert.equal(elsewhere.status, 1, elsewhere.line);
    const own = await served(env, ' --user="someone" --password="theirs" sbtest /srv/elsewhere');
    assert.equal(own.status, 0, own.line);
    assert.match(own.payload, /^user\s*=\s*"?someone/m);
    const run = await served(env, ' sbtest /var/lib/mysql-zrm/nightly/20261204120000');
    assert.equal(run.status, 0, run.line);
    assert.match(run.payload, /^user\s*=\s*"?zrm_backup/m);
  } finally {
    await env.cleanup();
  }
});
