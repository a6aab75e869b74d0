import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEGACY_VERSION, V2_VERSION, header, serve, withServerEnv } from './harness.js';

test("unknown versions ('1.8', junk, empty) get no byte at all, status 1, and a 'refused' log line", () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.data, 'f'), 'x');
    for (const version of ['1.8', 'junk', '', '2.0_zrm-innobackupex ', '1.8b5_palomino\r']) {
      const r = await serve(env, [header(version, 'copy from', join(env.data, 'f'), env.tmp)]);
      assert.equal(r.status, 1, JSON.stringify(version));
      assert.equal(r.output.length, 0, JSON.stringify(version));
      assert.match(r.log, /outcome=FAILED refused: unsupported protocol version/, JSON.stringify(version));
    }
  }));

test("'1.8' (stock ZRM's socket-copy.pl) is told, in the log, which plugin to configure", () =>
  withServerEnv(async (env) => {
    const r = await serve(env, [header('1.8', 'copy from', '/x', env.tmp)]);
    assert.match(r.log, /socket-copy\.palomino\.pl/);
  }));

test('accept_legacy = false refuses 1.8b5 clients the same way', () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.data, 'f'), 'x');
    const r = await serve(env, [header(LEGACY_VERSION, 'copy from', join(env.data, 'f'), env.tmp)]);
    assert.equal(r.status, 1);
    assert.equal(r.output.length, 0);
    assert.match(r.log, /refused: unsupported protocol version "1\.8b5_palomino"/);
  }, '[server]\naccept_legacy = false\n'));

test('a header line with a shell metacharacter is refused before anything runs', () =>
  withServerEnv(async (env) => {
    const victim = join(env.data, 'victim');
    await writeFile(victim, 'x');
    const bad = [
      ['copy from', `${victim}|rm -rf /`],
      ['copy from', `${victim}\`id\``],
      ['remove-backup-data', `LINKS ${env.data}&`],
      ['copy from', `${victim}\tx`],
      ['snapshot', '--action=mount >/tmp/x'],
    ];
    for (const [action = '', params] of bad) {
      for (const version of [LEGACY_VERSION, V2_VERSION]) {
        const r = await serve(env, [header(version, action, params ?? '', env.tmp)]);
        assert.equal(r.status, 1, `${version} ${params}`);
        assert.match(r.log, /outcome=FAILED .*holds a character that is not allowed/, `${version} ${params}`);
        if (version === LEGACY_VERSION) assert.equal(r.output.length, 0, 'an old client can only be hung up on');
        else assert.match(r.output.toString(), /^ERROR [^\n]*not allowed[^\n]*\n$/, 'a v2 client is told why');
      }
    }
    const bin = await serve(env, [header(V2_VERSION, 'copy from', victim, env.tmp, '/usr/bin`id`')]);
    assert.equal(bin.status, 1);
    assert.match(bin.output.toString(), /^ERROR binpath holds a character/);
  }));

test('an unknown action: ERROR line for v2, silence for 1.8b5, status 1 either way', () =>
  withServerEnv(async (env) => {
    const v2 = await serve(env, [header(V2_VERSION, 'format disk', '', env.tmp)]);
    assert.equal(v2.status, 1);
    assert.equal(v2.output.toString(), "ERROR unknown action 'format disk'\n");
    const legacy = await serve(env, [header(LEGACY_VERSION, 'format disk', '', env.tmp)]);
    assert.equal(legacy.status, 1);
    assert.equal(legacy.output.length, 0);
    assert.match(legacy.log, /unknown action 'format disk'/);
  }));

test('a request cut short: status 1, nothing sent, a log line', () =>
  withServerEnv(async (env) => {
    for (const request of ['', `${LEGACY_VERSION}\ncopy from\n/x\n/tmp`]) {
      const r = await serve(env, [request]);
      assert.equal(r.status, 1, JSON.stringify(request));
      assert.equal(r.output.length, 0, JSON.stringify(request));
      assert.match(r.log, /outcome=FAILED/, JSON.stringify(request));
    }
    const v2 = await serve(env, [`${V2_VERSION}\ncopy from\n`]);
    assert.equal(v2.status, 1);
    assert.equal(v2.output.toString(), 'ERROR request ended before its params line\n');
  }));
