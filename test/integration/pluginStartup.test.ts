import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { withTempDir } from '../helpers/tempDir.js';

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

test('so does the packaged launcher, compiling the bundle and then from its code cache', async () => {
  await withTempDir('startup-', async (dir) => {
    const cacheParent = join(dir, 'var-cache');
    await mkdir(cacheParent, { mode: 0o755 });
    const launcher = (await readFile(resolve(APP, '..', '..', 'packaging', 'launchers', 'zrm-launcher'), 'utf8'))
      .replace(`const LIB = '/usr/lib/mysql-zrm-innobackupex';`, `const LIB = ${JSON.stringify(APP)};`)
      .replace(`root: '/var/cache'`, `root: ${JSON.stringify(cacheParent)}`);
    assert.ok(launcher.includes(JSON.stringify(APP)) && launcher.includes(cacheParent), 'the launcher names the packaged bundles and the cache');
    await mkdir(join(dir, 'plugins'));
    const plugin = join(dir, 'plugins', 'inno-snapshot.pl');
    await writeFile(plugin, launcher, { mode: 0o755 });
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
