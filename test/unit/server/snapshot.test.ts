import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { installPlugins } from '../../helpers/plugins.js';
import { FIXTURES, LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv, type ServerEnv } from './harness.js';

const SETTINGS = ['copy-plugin=/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl', 'odd=a=b c', 'user=backup', 'password=s3cr=t'];
const FIXTURE_PLUGIN = join(FIXTURES, 'inno-snapshot.pl');
const USE_FIXTURE = `snapshot_plugin = ${FIXTURE_PLUGIN}\n`;

function request(version: string, env: ServerEnv, params: string, pluginPath: string, settings = SETTINGS): string[] {
  return [header(version, 'snapshot', params, env.tmp), `${pluginPath}\n`, `${settings.length}\n`, ...settings.map((l) => `${l}\n`)];
}

const statusOf = (output: Buffer) => parseStatus(output.toString().replace(/^OK\n/, ''));

test('snapshot runs the configured plugin with the params and the forwarded settings as ZRM_CONF', () =>
  withServerEnv(async (env) => {
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
  }, `[server]\n${USE_FIXTURE}`));

test('v2: OK, then the status block', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl', ['user=u']));
    assert.equal(r.status, 0, r.log);
    assert.equal(r.output.toString(), 'OK\nSUCCESS\n4\narg=--action=mount\ncwd=/\nconf-mode=600\nconf=user=u\n');
  }, `[server]\n${USE_FIXTURE}`));

test('the plugin the client names is never run: only the configured one', () =>
  withServerEnv(async (env) => {
    // Naming the copy plugin used to stream files to the client's host; naming sh ran a shell.
    for (const named of ['socket-copy.palomino.pl', '/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl', '../../bin/sh', '/bin/sh', 'sh', '..', '']) {
      const r = await serve(env, request(V2_VERSION, env, '--action=umount -c id', named));
      assert.equal(r.status, 0, `${named}: ${r.log}`);
      const lines = statusOf(r.output).lines;
      assert.equal(lines[0], 'arg=--action=umount', `${named} ran something else: ${lines.join(' / ')}`);
      assert.doesNotMatch(lines.join(' '), /uid=/, named);
    }
  }, `[server]\n${USE_FIXTURE}`));

test('by default the built-in snapshot plugin runs in-process, whatever name the client sends', () =>
  withServerEnv(async (env) => {
    for (const named of ['socket-copy.palomino.pl', '/bin/sh', 'inno-snapshot.pl']) {
      const r = await serve(env, request(LEGACY_VERSION, env, `--action=get-vm-device-details --directory=${env.data} --sname=s`, named));
      assert.equal(r.status, 0, r.log);
      const lines = statusOf(r.output).lines;
      assert.equal(lines[0], 'device=/dev/null', `${named}: ${lines.join(' / ')}`);
      assert.equal(lines.length, 6);
    }
  }));

test('in-process and spawned plugin give the same lines and the same success or failure', () =>
  withServerEnv(async (env) => {
    const plugins = await installPlugins(join(env.root, 'plugins'));
    const confFile = join(env.root, 'innobackupex.conf');
    await writeFile(confFile, `[state]\ndir = ${env.state}\n[log]\nserver_log = ${join(env.root, 'p.log')}\ntool_log = ${join(env.root, 't.log')}\n`);
    const deps = { env: { PATH: process.env.PATH, ZRM_INNOBACKUPEX_CONF: confFile } };
    const cases = [
      `--action=get-vm-device-details --directory=${env.data} --sname=s`,
      `--action=get-vm-device-details --directory=${join(env.data, 'missing')} --sname=s`,
      '--action=no-such-action',
      '--action=mount --dev=/dev/null --directory=/tmp/zrm-innosnap --fstype=null',
      '--action=umount --directory=/tmp/zrm-innosnap',
    ];
    for (const params of cases) {
      env.config.server.snapshotPlugin = '';
      const inProcess = await serve(env, request(V2_VERSION, env, params, 'inno-snapshot.pl'), deps);
      env.config.server.snapshotPlugin = plugins['inno-snapshot.pl'];
      const spawned = await serve(env, request(V2_VERSION, env, params, 'inno-snapshot.pl'), deps);
      assert.equal(inProcess.status, spawned.status, params);
      assert.deepEqual(statusOf(inProcess.output), statusOf(spawned.output), params);
    }
  }));

test('the built-in mount arms the backup with the forwarded credentials; umount disarms it', () =>
  withServerEnv(async (env) => {
    const mount = await serve(env, request(V2_VERSION, env, '--action=mount --dev=/dev/null --directory=/tmp/zrm-innosnap --fstype=null', 'inno-snapshot.pl'));
    assert.equal(mount.status, 0, mount.log);
    assert.notDeepEqual(await readdir(env.state), [], 'armed state written');
    assert.doesNotMatch(mount.log, /s3cr=t/);
    const umount = await serve(env, request(V2_VERSION, env, '--action=umount --directory=/tmp/zrm-innosnap', 'inno-snapshot.pl'));
    assert.equal(umount.status, 0, umount.log);
  }));

test('--host in the params is refused: the settings would be forwarded to another host', () =>
  withServerEnv(async (env) => {
    for (const params of ['--action=mount --host=10.0.0.9', '--host 10.0.0.9 --action=mount']) {
      for (const conf of ['', FIXTURE_PLUGIN]) {
        env.config.server.snapshotPlugin = conf;
        const r = await serve(env, request(V2_VERSION, env, params, 'inno-snapshot.pl'));
        assert.equal(r.status, 1, params);
        assert.match(statusOf(r.output).lines.join(' '), /--host would forward/);
      }
    }
  }));

test('a failing plugin: ERROR block with its stderr lines, status 1', () =>
  withServerEnv(async (env) => {
    for (const version of [LEGACY_VERSION, V2_VERSION]) {
      const r = await serve(env, request(version, env, '--action=fail', 'inno-snapshot.pl'));
      assert.equal(r.status, 1);
      assert.equal(r.output.toString(), `${version === V2_VERSION ? 'OK\n' : ''}ERROR\n2\nsnapshot failed on purpose\nsecond line\n`);
      assert.match(r.log, /outcome=FAILED inno-snapshot\.pl --action=fail: snapshot failed on purpose \/ second line/);
    }
    assert.deepEqual(await readdir(env.tmp), []);
  }, `[server]\n${USE_FIXTURE}`));

test('a configured plugin that is missing: ERROR block naming it', () =>
  withServerEnv(async (env) => {
    const r = await serve(env, request(V2_VERSION, env, '--action=mount', 'inno-snapshot.pl'));
    assert.equal(r.status, 1);
    assert.match(statusOf(r.output).lines.join(' '), /no-plugins\/inno-snapshot\.pl/);
  }, `[server]\nsnapshot_plugin = /nonexistent/no-plugins/inno-snapshot.pl\n`));

test('an error before the plugin runs (no temp space for ZRM_CONF) still comes as an ERROR status block', () =>
  withServerEnv(async (env) => {
    // [backup] tmp_dir is a file: no directory can be made in it.
    const notADir = join(env.root, 'not-a-dir');
    await writeFile(notADir, '');
    env.config.backup.tmpDir = notADir;
    for (const version of [LEGACY_VERSION, V2_VERSION]) {
      const r = await serve(env, [header(version, 'snapshot', '--action=mount', env.tmp), 'inno-snapshot.pl\n', '1\n', 'user=u\n']);
      assert.equal(r.status, 1);
      const text = r.output.toString();
      const status = parseStatus(version === V2_VERSION ? text.replace(/^OK\n/, '') : text);
      assert.equal(status.ok, false, text);
      assert.match(status.lines.join(' '), /zrm-snapconf-/, text);
    }
  }, `[server]\n${USE_FIXTURE}`));

test('the forwarded settings (the database password) go under [backup] tmp_dir, never into the directory the client names', () =>
  withServerEnv(async (env) => {
    const theirs = join(env.root, 'client-named');
    await mkdir(theirs);
    const r = await serve(env, [header(V2_VERSION, 'snapshot', '--action=mount', theirs), 'inno-snapshot.pl\n', '1\n', 'password=s3cret\n']);
    assert.equal(r.status, 0, r.log);
    assert.deepEqual(statusOf(r.output).lines, [`conf-parent=${env.tmp}`]);
  }, `[server]\nsnapshot_plugin = ${join(FIXTURES, 'conf-parent.sh')}\n`));
