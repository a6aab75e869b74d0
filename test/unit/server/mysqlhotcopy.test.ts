import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { armState, ensureStateDir } from '../../../src/snapshot/state.js';
import { readV2Frames } from '../../../src/protocol/v2Frames.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { V2_VERSION, collect, header, makeServerEnv, serve, writeExecutable, type ServerEnv } from './harness.js';

// mysqlhotcopy is a hot backup with the backup tool, like an armed `copy from`. The credentials
// ZRM forwarded for an armed run must not go to whoever asks while that run is armed: a request
// carries nothing that ties it to the run, so it brings its own. Only an unnamed run (a 1.8b5
// snapshot plugin) lends them, as the 1.8b5 server did.

async function served(env: ServerEnv, params: string): Promise<{ status: number; line: string; payload: string }> {
  const r = await serve(env, [header(V2_VERSION, 'mysqlhotcopy', params, env.tmp)]);
  const nl = r.output.indexOf(0x0a);
  const line = r.output.subarray(0, nl).toString();
  if (!line.startsWith('OK')) return { status: r.status, line, payload: '' };
  const payload = await collect(readV2Frames(new StreamReader(Readable.from([r.output.subarray(nl + 1)]))));
  return { status: r.status, line, payload: payload.toString() };
}

test("mysqlhotcopy while a ZRM run is armed: never the named run's credentials; its own, or an unnamed run's as 1.8b5 did", async () => {
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
    assert.equal(stolen.status, 1, `a request with no credentials was served: ${stolen.line}`);
    assert.match(stolen.line, /^ERROR mysqlhotcopy: no credentials/);
    const named = await served(env, ' sbtest nightly');
    assert.equal(named.status, 1, named.line);
    const own = await served(env, ' --user="someone" --password="theirs" sbtest');
    assert.equal(own.status, 0, own.line);
    assert.match(own.payload, /^user\s*=\s*"?someone/m);
    await armState(env.state, { user: 'old_plugin_user', password: 'pw' });
    const unnamed = await served(env, ' sbtest');
    assert.equal(unnamed.status, 0, unnamed.line);
    assert.match(unnamed.payload, /^user\s*=\s*"?old_plugin_user/m);
  } finally {
    await env.cleanup();
  }
});
