import { test } from 'node:test';
import assert from 'node:assert/strict';
import { VERSION } from '../../../src/version.js';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv } from './harness.js';

// `status` (for doctor --host): our version and protocols to a v2 client; a 1.8b5 client, which
// cannot ask it, is hung up on as for any unknown action.

test('v2 status: OK, then a status block with our version, protocols and tool', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, [header(V2_VERSION, 'status', '', env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const text = r.output.toString();
    assert.ok(text.startsWith('OK\n'), text);
    const status = parseStatus(text.slice(3));
    assert.ok(status.ok);
    assert.deepEqual(status.lines, [`version=${VERSION}`, 'protocols=2.2_zrm-innobackupex,2.1_zrm-innobackupex,2.0_zrm-innobackupex,1.8b5_palomino', 'tool=mariabackup']);
  }));

test('1.8b5 status: nothing on the wire', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, [header(LEGACY_VERSION, 'status', '', env.tmp)]);
    assert.equal(r.status, 1);
    assert.equal(r.output.length, 0);
  }));

test('v2 status with max_v2_version = 2.1 and no 1.8b5: exactly the versions this server answers', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, [header(V2_VERSION, 'status', '', env.tmp)]);
    const status = parseStatus(r.output.toString().slice(3));
    assert.equal(status.lines[1], 'protocols=2.1_zrm-innobackupex,2.0_zrm-innobackupex');
  }, '[server]\nmax_v2_version = 2.1\naccept_legacy = false\n'));
