import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdir, readFile, readdir, readlink, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { installPlugins, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { runPlugin, writeZrmConf } from '../helpers/zrmRun.js';

// The copy plugin's other forms against the real server under xinetd, in both protocols:
// upload (copy to), third-party copy (copy between), links then a copy through them, local copy,
// and the allowed-roots fence.
describe('copy plugin forms through xinetd', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let xinetd: Xinetd;
  let copyPlugin: string;
  let env: Record<string, string>;
  let legacyEnv: Record<string, string>;
  let src: string;

  const copy = (args: string[], e = env) => runPlugin(copyPlugin, args, e);

  before(async () => {
    tmp = await makeTempDir('zrm-forms-');
    const plugins = await installPlugins(join(tmp.path, 'plugins'));
    copyPlugin = plugins['socket-copy.palomino.pl'];
    const serverConf = join(tmp.path, 'server.conf');
    await writeAppConfig(serverConf, { dir: tmp.path, allowedRoots: tmp.path });
    xinetd = await startXinetd(tmp.path, plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: serverConf }, instances: 4 });
    const zrmConf = join(tmp.path, 'zrm.conf');
    await writeZrmConf(zrmConf, { 'socket-remote-port': String(xinetd.port), 'copy-plugin': copyPlugin });
    const legacyConf = join(tmp.path, 'legacy.conf');
    await writeAppConfig(legacyConf, { dir: join(tmp.path, 'legacy-client'), protocol: 'legacy' });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: serverConf };
    legacyEnv = { ...env, ZRM_INNOBACKUPEX_CONF: legacyConf };
    src = join(tmp.path, 'src');
    await mkdir(join(src, 'mysql'), { recursive: true });
    for (let i = 0; i < 5; i++) await writeFile(join(src, 'mysql', `t${i}.frm`), Buffer.alloc(5000 + i * 3000, i + 65));
    await writeFile(join(src, 'master.info'), 'binlog.000007\n4\n');
  });

  after(async () => {
    await xinetd?.stop();
    await tmp?.cleanup();
  });

  for (const [label, e] of [['v2', () => env], ['1.8b5', () => legacyEnv]] as const) {
    test(`copy to uploads a file (${label})`, async () => {
      const dest = join(tmp.path, `upload-${label}`);
      await mkdir(dest);
      const r = await copy(['--source-file', join(src, 'master.info'), '--destination-host', '127.0.0.1', '--destination-directory', dest], e());
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(await readFile(join(dest, 'master.info'), 'utf8'), 'binlog.000007\n4\n');
    });

    test(`create-link then copy from ZRM_LINKS/. carries the files the links point to (${label})`, async () => {
      const backup = join(tmp.path, `backup-${label}`);
      const landed = join(tmp.path, `landed-${label}`);
      await mkdir(backup);
      await mkdir(landed);
      const list = join(tmp.path, `list-${label}`);
      await writeFile(list, `${backup}/ZRM_LINKS\n${src}/mysql ${backup}/ZRM_LINKS\n`);
      const l = await copy(['--create-link', '--source-file', list, '--destination-host', '127.0.0.1', '--destination-directory', 'File'], e());
      assert.equal(l.exitCode, 0, l.stderr);
      assert.equal(await readlink(join(backup, 'ZRM_LINKS', 'mysql')), `${src}/mysql`);
      await assert.rejects(lstat(list), 'the list file is the client\'s to delete');
      // With nothing armed, ZRM_LINKS itself is refused (it would be a tar of live files).
      const refused = await copy(['--source-host', '127.0.0.1', '--source-file', `${backup}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', landed], e());
      assert.notEqual(refused.exitCode, 0);
      assert.deepEqual(await readdir(landed), []);
      const c = await copy(['--source-host', '127.0.0.1', '--source-file', `${backup}/ZRM_LINKS/mysql`, '--destination-host', 'localhost', '--destination-directory', landed], e());
      assert.equal(c.exitCode, 0, c.stderr);
      assert.deepEqual((await readdir(join(landed, 'mysql'))).sort(), (await readdir(join(src, 'mysql'))).sort());
      assert.ok((await lstat(join(landed, 'mysql'))).isDirectory(), 'a link was copied instead of its target');
      for (const f of await readdir(join(src, 'mysql'))) {
        assert.deepEqual(await readFile(join(landed, 'mysql', f)), await readFile(join(src, 'mysql', f)));
      }
      const rm = await copy(['remove-backup-data', '--backup-dir', backup, '--type-of-dir', 'LINKS', '--host', '127.0.0.1'], e());
      assert.equal(rm.exitCode, 0, rm.stderr);
      await assert.rejects(lstat(join(backup, 'ZRM_LINKS')));
    });

    test(`a path outside the allowed roots is refused (${label})`, async () => {
      const dest = join(tmp.path, `fenced-${label}`);
      await mkdir(dest);
      const r = await copy(['--source-host', '127.0.0.1', '--source-file', '/etc/hostname', '--destination-host', 'localhost', '--destination-directory', dest], e());
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, label === 'v2' ? /outside the allowed roots/ : /empty stream/);
      assert.deepEqual(await readdir(dest), []);
    });
  }

  test('copy from (nothing armed) copies a directory tree exactly: contents, modes, owners, times', async () => {
    const tree = join(tmp.path, 'tree');
    await mkdir(join(tree, 'db1', 'deep'), { recursive: true });
    await writeFile(join(tree, 'db1', 't.ibd'), Buffer.alloc(70_000, 7));
    await writeFile(join(tree, 'db1', 'deep', 'empty'), '');
    await writeFile(join(tree, 'db1', 'odd name; $(x) `y`'), 'literal');
    await execa('chmod', ['0640', join(tree, 'db1', 't.ibd')]);
    await execa('chmod', ['0750', join(tree, 'db1', 'deep')]);
    await execa('chown', ['-R', '102:105', join(tree, 'db1')]);
    await execa('touch', ['-d', '2020-02-02 02:02:02', join(tree, 'db1', 't.ibd')]);
    const dest = join(tmp.path, 'tree-copy');
    await mkdir(dest);
    const r = await copy(['--source-host', '127.0.0.1', '--source-file', join(tree, 'db1'), '--destination-host', 'localhost', '--destination-directory', dest]);
    assert.equal(r.exitCode, 0, r.stderr);
    const listing = async (dir: string) =>
      // tar keeps whole seconds of mtime, as it always has.
      (await execa('find', [dir, '-mindepth', '1', '-printf', '%P %M %u:%g %s %T@\n'])).stdout.replace(/\.\d+$/gm, '').split('\n').sort();
    assert.deepEqual(await listing(join(dest, 'db1')), await listing(join(tree, 'db1')));
    assert.deepEqual(await readFile(join(dest, 'db1', 't.ibd')), await readFile(join(tree, 'db1', 't.ibd')));
  });

  test('copy between: the source host pushes to the destination itself', async () => {
    const dest = join(tmp.path, 'between');
    await mkdir(dest);
    const r = await copy(['--source-host', '127.0.0.1', '--source-file', join(src, 'master.info'), '--destination-host', '127.0.0.1', '--destination-directory', dest]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(await readFile(join(dest, 'master.info'), 'utf8'), 'binlog.000007\n4\n');
  });

  test('both local: a tar that fails part way publishes nothing', async () => {
    const broken = join(tmp.path, 'broken-src');
    await mkdir(broken);
    await writeFile(join(broken, 'good'), 'good');
    await symlink('/nonexistent/target', join(broken, 'dangling'));
    const dest = join(tmp.path, 'local-broken');
    await mkdir(dest);
    const r = await copy(['--source-file', broken, '--destination-directory', dest]);
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /tar/);
    assert.deepEqual(await readdir(dest), []);
  });

  test('both local: a plain local copy, no server involved', async () => {
    const dest = join(tmp.path, 'local');
    await mkdir(dest);
    const r = await copy(['--source-file', join(src, 'mysql'), '--destination-directory', dest]);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal((await readdir(join(dest, 'mysql'))).length, 5, `${r.stdout} ${(await readdir(dest)).join(' ')}`);
  });
});
