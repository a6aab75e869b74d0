import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES, LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv, type ServerEnv } from './harness.js';

const SETTINGS = ['copy-plugin=/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl', 'odd=a=b c', 'user=backup', 'password=s3cr=t'];

function request(version: string, env: ServerEnv, params: string, pluginPath: string, settings = SETTINGS): string[] {
  return [header(version, 'snapshot', params, env.tmp), `${pluginPath}\n`, `${settings.length}\n`, ...settings.map((l) => `${l}\n`)];
}

/** The plugin directory comes from the plugin-path file (as /etc/mysql-zrm/plugin-path). */
async function usePluginDir(env: ServerEnv, dir = FIXTURES): Promise<void> {
  await writeFile(env.pluginPathFile, `${dir}\nignored second line\n`);
}

test('snapshot runs <plugin dir>/<name> with the params and the forwarded settings as ZRM_CONF', () =>
  withServerEnv(async (env) => {
    await usePluginDir(env);
    const params = '--directory=/var/lib/mysql --action=get-vm-device-details --sname=zrmsOkSgbYYA1 ';
    const r = await serve(env, request(LEGACY_VERSION, env, params, '/usr/share/mysql-zrm/plugins/inno-snapshot.pl'));
    assert.equal(r.status, 0, r.log);
    const status = parseStatus(r.output.toString());
    assert.equal(status.ok, true);
    assert.deepEqual(status.lines, [
      'arg=--directory=/var/lib/mysql',
      'arg=--action=get-vm-device-details',
      'arg=--sname=zrmsOkSgbYYA1',
      'cwd=/',
      'conf-mode=600',
      ...SETTINGS.map((l) => `conf=${l}`),
    ]);
    assert.deepEqual(await readdir(env.tmp), [], 'the temporary ZRM_CONF is removed');
    assert.match(r.log, /inno-snapshot\.pl --action=get-vm-device-details/);
    assert.doesNotMatch(r.log, /s3cr=t/, 'the forwarded password never reaches the log');
  }));

test('v2: OK, then the status block', () =>
  withServerEnv(async (env) => {
    await usePluginDir(env);
    const r = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl', ['user=u']));
    assert.equal(r.status, 0, r.log);
    assert.equal(r.output.toString(), 'OK\nSUCCESS\n4\narg=--action=mount\ncwd=/\nconf-mode=600\nconf=user=u\n');
  }));

test('only the basename of the plugin path the client sends is used, never its directory', () =>
  withServerEnv(async (env) => {
    await usePluginDir(env);
    const fromElsewhere = await serve(env, request(V2_VERSION, env, '--action=umount', '/nonexistent/dir/inno-snapshot.pl'));
    assert.equal(parseStatus(fromElsewhere.output.toString().slice(3)).ok, true, 'runs the fixture in the plugin dir');

    const sh = await serve(env, request(V2_VERSION, env, '-c id', '../../bin/sh'));
    assert.equal(sh.status, 1);
    const status = parseStatus(sh.output.toString().slice(3));
    assert.equal(status.ok, false);
    assert.match(status.lines.join(' '), new RegExp(`${FIXTURES.replace(/\/$/, '')}/sh`), 'looked for sh in the plugin dir only');
    assert.doesNotMatch(status.lines.join(' '), /uid=/, '/bin/sh must not have run');

    for (const name of ['..', '.hidden', '/']) {
      const r = await serve(env, request(LEGACY_VERSION, env, '--action=mount', name));
      assert.equal(r.status, 1, name);
      const st = parseStatus(r.output.toString());
      assert.equal(st.ok, false);
      assert.match(st.lines[0] ?? '', /snapshot plugin name '.*' refused/, name);
    }
  }));

test('without a plugin-path file the configured plugin_dir is used', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl'));
    assert.equal(r.status, 1, 'plugin_dir of the test config holds no plugin');
    assert.match(parseStatus(r.output.toString().slice(3)).lines.join(' '), /no-plugins\/inno-snapshot\.pl/);
    env.config.server.pluginDir = FIXTURES;
    const ok = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl'));
    assert.equal(ok.status, 0, ok.log);
  }));

test('a failing plugin: ERROR block with its stderr lines, status 1', () =>
  withServerEnv(async (env) => {
    await usePluginDir(env);
    for (const version of [LEGACY_VERSION, V2_VERSION]) {
      const r = await serve(env, request(version, env, '--action=fail', 'inno-snapshot.pl'));
      assert.equal(r.status, 1);
      assert.equal(r.output.toString(), `${version === V2_VERSION ? 'OK\n' : ''}ERROR\n2\nsnapshot failed on purpose\nsecond line\n`);
      assert.match(r.log, /outcome=FAILED inno-snapshot\.pl --action=fail: snapshot failed on purpose \/ second line/);
    }
    assert.deepEqual(await readdir(env.tmp), []);
  }));

test('the plugin is looked for in the plugin-path dir, then plugin_dir, then beside the server itself', () =>
  withServerEnv(async (env) => {
    const empty = join(env.root, 'empty-plugins');
    await mkdir(empty);
    await usePluginDir(env, empty);
    const none = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl'));
    assert.equal(none.status, 1);
    assert.match(parseStatus(none.output.toString().slice(3)).lines.join(' '), /empty-plugins\/inno-snapshot\.pl/, 'the first place is named');
    const beside = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl'), { selfDir: FIXTURES });
    assert.equal(beside.status, 0, beside.log);
    env.config.server.pluginDir = FIXTURES;
    const configured = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl'));
    assert.equal(configured.status, 0, configured.log);
  }));

test('an error before the plugin runs (no temp space for ZRM_CONF) still comes as an ERROR status block', () =>
  withServerEnv(async (env) => {
    await usePluginDir(env);
    // /proc exists, so it is taken as the client's temp dir, but nobody (not even root) can create in it.
    for (const version of [LEGACY_VERSION, V2_VERSION]) {
      const r = await serve(env, [header(version, 'snapshot', '--action=mount', '/proc'), 'inno-snapshot.pl\n', '1\n', 'user=u\n']);
      assert.equal(r.status, 1);
      const text = r.output.toString();
      const status = parseStatus(version === V2_VERSION ? text.replace(/^OK\n/, '') : text);
      assert.equal(status.ok, false, text);
      assert.match(status.lines.join(' '), /zrm-snapconf-/, text);
    }
  }));
