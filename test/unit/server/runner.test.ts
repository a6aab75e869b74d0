import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fakeRunner, onlyCall } from '../../helpers/fakeRunner.js';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv } from './harness.js';

// The server's programs through an injected runner (ServerDeps.run): argv and environment.

test('a configured snapshot plugin gets the params as argv and only the forwarded settings as ZRM_CONF', () =>
  withServerEnv(async (env) => {
    const { run, calls } = fakeRunner({ stdout: 'done\n' });
    const request = [header(LEGACY_VERSION, 'snapshot', '--action=mount --sname=s1', env.tmp), 'inno-snapshot.pl\n', '1\n', 'user=u\n'];
    const r = await serve(env, request, { run });
    assert.equal(r.status, 0, r.log);
    assert.deepEqual(parseStatus(r.output.toString()), { ok: true, lines: ['done'] });
    const call = onlyCall(calls);
    assert.equal(call.file, '/opt/zrm/my-snapshot');
    assert.deepEqual(call.args, ['--action=mount', '--sname=s1']);
    assert.equal(call.options.extendEnv, false);
    assert.equal(call.options.cwd, '/');
    assert.match(String((call.options.env as NodeJS.ProcessEnv).ZRM_CONF), /zrm-snapconf-.*\/zrm\.conf$/);
  }, `[server]\nsnapshot_plugin = /opt/zrm/my-snapshot\n`));

test('copy from a file: tar of exactly the checked names, no recursion, names on stdin', () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.data, 'binlog.000001'), 'x');
    const { run, calls } = fakeRunner();
    const r = await serve(env, [header(V2_VERSION, 'copy from', join(env.data, 'binlog.000001'))], { run });
    assert.equal(r.status, 0, r.log);
    const call = onlyCall(calls);
    assert.equal(call.file, 'tar');
    assert.ok(call.args.includes('--no-recursion'), call.args.join(' '));
    assert.deepEqual(call.args.slice(-6), ['-C', env.data, '--null', '--verbatim-files-from', '-T', '-']);
    assert.equal(String(call.options.input), 'binlog.000001\0');
  }));
