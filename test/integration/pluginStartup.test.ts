import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { writeAppConfig } from '../helpers/plugins.js';
import { withTempDir } from '../helpers/tempDir.js';
import { startXinetd } from '../helpers/xinetd.js';
import { runPlugin, writeZrmConf } from '../helpers/zrmRun.js';

// ZRM starts a plugin about 16 times a backup: a snapshot call must load only what it uses. The
// bundle the packages ship, started as inno-snapshot.pl; a preloaded script notes which of Node's
// own modules were loaded by the time the process exits. The heavy dependencies show through
// the built-ins they load: commander and execa child_process, winston zlib and tty. Its stdout is
// a pipe, as ZRM reads it: process.stdout would load net and stream (the answer is written to
// fd 1 instead), and node:fs/promises loads readline and more.
const APP = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'dist', 'app');
const BUNDLE = join(APP, 'zrm-innobackupex.mjs');
const PLUGINS_BUNDLE = join(APP, 'zrm-plugins.mjs');
const NOT_FOR_A_SNAPSHOT_CALL = ['child_process', 'zlib', 'tty', 'crypto', 'tls', 'http', 'https', 'worker_threads', 'v8', 'net', 'stream', 'fs/promises'];

const RECORDER = `const seen = new Set(process.moduleLoadList);
process.on('exit', () => {
  const loaded = process.moduleLoadList.filter((m) => !seen.has(m) && m.startsWith('NativeModule ')).map((m) => m.slice(13));
  require('node:fs').writeFileSync(process.env.LOADED_FILE, loaded.join('\\n'));
});
`;

async function snapshotCall(dir: string, plugin: string): Promise<{ stdout: string; loaded: string[]; log: string }> {
  const conf = join(dir, 'innobackupex.conf');
  const log = join(dir, 'server.log');
  await writeFile(conf, `[state]\ndir = ${join(dir, 'state')}\n[log]\nserver_log = ${log}\n`);
  await writeFile(join(dir, 'recorder.cjs'), RECORDER);
  const loadedFile = join(dir, 'loaded.txt');
  const r = await execa(process.execPath, ['--require', join(dir, 'recorder.cjs'), plugin, '--action', 'get-vm-device-details', '--directory', dir, '--sname', 'startup'], {
    env: { ZRM_INNOBACKUPEX_CONF: conf, LOADED_FILE: loadedFile, PATH: process.env.PATH ?? '/usr/bin:/bin' },
    extendEnv: false,
  });
  assert.equal(r.stderr, '');
  return { stdout: r.stdout, loaded: (await readFile(loadedFile, 'utf8')).split('\n'), log: await readFile(log, 'utf8') };
}

function checkCall(call: { stdout: string; loaded: string[]; log: string }): void {
  assert.match(call.stdout, /^device=\/dev\/null\nsnapshot-device=\/dev\/null\n.*\nsnapshot-mount-point=\/tmp\/zrm-innosnap$/s);
  assert.match(call.log, /^\S+Z inno-snapshot\[\d+\] info: snapshot get-vm-device-details \(local\): .*\n\S+Z inno-snapshot\[\d+\] info: snapshot get-vm-device-details: ok\n$/);
  const heavy = call.loaded.filter((m) => NOT_FOR_A_SNAPSHOT_CALL.includes(m));
  assert.deepEqual(heavy, [], `a get-vm-device-details call loaded ${heavy.join(', ')}`);
}

test('each bundle started as inno-snapshot.pl answers get-vm-device-details without loading the heavy modules', async () => {
  for (const bundle of [BUNDLE, PLUGINS_BUNDLE]) {
    await withTempDir('startup-', async (dir) => {
      const plugin = join(dir, 'inno-snapshot.pl');
      await symlink(bundle, plugin);
      checkCall(await snapshotCall(dir, plugin));
    });
  }
});

/** The packaged launcher as `name` in dir/plugins, running the bundles in dist/app, root's cache in dir. */
async function packagedPlugin(dir: string, name: string): Promise<string> {
  const cacheParent = join(dir, 'var-cache');
  await mkdir(cacheParent, { mode: 0o755, recursive: true });
  const launcher = (await readFile(resolve(APP, '..', '..', 'packaging', 'launchers', 'zrm-launcher'), 'utf8'))
    .replace(`const LIB = '/usr/lib/mysql-zrm-innobackupex';`, `const LIB = ${JSON.stringify(APP)};`)
    .replace(`root: '/var/cache'`, `root: ${JSON.stringify(cacheParent)}`);
  assert.ok(launcher.includes(JSON.stringify(APP)) && launcher.includes(cacheParent), 'the launcher names the packaged bundles and the cache');
  await mkdir(join(dir, 'plugins'), { recursive: true });
  const plugin = join(dir, 'plugins', name);
  await writeFile(plugin, launcher, { mode: 0o755 });
  return plugin;
}

test('so does the packaged launcher, compiling the bundle and then from its code cache', async () => {
  await withTempDir('startup-', async (dir) => {
    const plugin = await packagedPlugin(dir, 'inno-snapshot.pl');
    const cacheParent = join(dir, 'var-cache');
    const cache = join(cacheParent, 'mysql-zrm-innobackupex', 'zrm-plugins.v8cache');
    checkCall(await snapshotCall(dir, plugin));
    const made = await stat(cache);
    await rm(join(dir, 'server.log'));
    checkCall(await snapshotCall(dir, plugin));
    assert.equal((await stat(cache)).mtimeMs, made.mtimeMs, 'the second call ran from the cache');
    // A person's --help: commander's, from the whole program, as when the bundle is run itself.
    const help = await execa(process.execPath, [plugin, '--help'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, extendEnv: false });
    await symlink(BUNDLE, join(dir, 'inno-snapshot.pl'));
    const direct = await execa(process.execPath, [join(dir, 'inno-snapshot.pl'), '--help'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, extendEnv: false });
    assert.match(help.stdout, /^Usage: zrm-innobackupex snapshot /);
    assert.equal(help.stdout, direct.stdout);
  });
});

test('the plugins\' bundle under any other name says what it is for and exits 2', async () => {
  const r = await execa(process.execPath, [PLUGINS_BUNDLE, '--version'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin' }, extendEnv: false, reject: false });
  assert.deepEqual([r.exitCode, r.stdout], [2, '']);
  assert.match(r.stderr, /^zrm-innobackupex: this program runs only as inno-snapshot\.pl or socket-copy\.palomino\.pl, not as \S+zrm-plugins\.mjs$/);
});

test('the plugins\' bundle copies from a socket server (the whole bundle) and forwards a snapshot call through it', async () => {
  await withTempDir('startup-', async (dir) => {
    const server = await packagedPlugin(join(dir, 'db-host'), 'socket-server.palomino.pl');
    const conf = join(dir, 'innobackupex.conf');
    await writeAppConfig(conf, { dir, allowedRoots: dir });
    const xinetd = await startXinetd(dir, server, { env: { ZRM_INNOBACKUPEX_CONF: conf } });
    try {
      const copyPlugin = await packagedPlugin(join(dir, 'backup-host'), 'socket-copy.palomino.pl');
      const snapshotPlugin = await packagedPlugin(join(dir, 'backup-host'), 'inno-snapshot.pl');
      const zrmConf = join(dir, 'zrm.conf');
      await writeZrmConf(zrmConf, { 'socket-remote-port': String(xinetd.port), 'copy-plugin': copyPlugin });
      const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: conf };
      const source = join(dir, 'source');
      await mkdir(source);
      await writeFile(join(source, 'master.info'), 'binlog.000007\n4\n');
      const dest = join(dir, 'dest');
      await mkdir(dest);
      const copied = await runPlugin(copyPlugin, ['--source-host', '127.0.0.1', '--source-file', join(source, 'master.info'), '--destination-host', 'localhost', '--destination-directory', dest], env);
      assert.equal(copied.exitCode, 0, copied.stderr);
      assert.equal(await readFile(join(dest, 'master.info'), 'utf8'), 'binlog.000007\n4\n');
      const answer = await runPlugin(snapshotPlugin, ['--action', 'get-vm-device-details', '--directory', source, '--sname', 'startup', '--host', '127.0.0.1'], env);
      assert.equal(answer.exitCode, 0, answer.stderr);
      assert.match(answer.stdout, /^device=\/dev\/null\n.*\nsnapshot-mount-point=\/tmp\/zrm-innosnap$/s);
      assert.match(await readFile(join(dir, 'socket-server.log'), 'utf8'), /inno-snapshot\[\d+\] info: snapshot get-vm-device-details \(forwarded\)/);
      assert.deepEqual(await readdir(join(dir, 'backup-host', 'var-cache', 'mysql-zrm-innobackupex')), ['zrm-plugins.v8cache'], 'both ran the plugins\' bundle');
      assert.deepEqual(await readdir(join(dir, 'db-host', 'var-cache', 'mysql-zrm-innobackupex')), ['zrm-innobackupex.v8cache'], 'the server ran the whole one');
    } finally {
      await xinetd.stop();
    }
  });
});
