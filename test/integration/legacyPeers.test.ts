import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, readdir, symlink, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, tableChecksums, type MariaDb } from '../helpers/mariadb.js';
import { writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';
import { runPlugin, writeZrmConf, zrmFullBackup } from '../helpers/zrmRun.js';

// Our peers of 1.8b5 vintage: an unmodified old client must get what the old server sent,
// and our client must still work against an old server. The stand-ins are Perl programs using
// Perl's own pack("u*"), so these tests do not check our framing against itself.
const FIXTURES = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'test', 'fixtures', 'legacy');

/**
 * The bytes the server sent before it hung up. A server that hangs up with part of the request
 * unread makes the kernel reset the connection: with `resetIsHangUp`, that is a hang-up too.
 */
function rawRequest(port: number, request: string, resetIsHangUp = false): Promise<Buffer> {
  return new Promise((res, rej) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: '127.0.0.1', port }, () => s.write(request));
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('end', () => res(Buffer.concat(chunks)));
    s.on('error', (err: NodeJS.ErrnoException) => (resetIsHangUp && err.code === 'ECONNRESET' ? res(Buffer.concat(chunks)) : rej(err)));
    s.setTimeout(60_000, () => s.destroy(new Error('timeout')));
  });
}

describe('1.8b5 peers', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let ours: Xinetd;
  let old: Xinetd;
  let env: Record<string, string>;
  let plugins: ZrmSite['plugins'];
  let serverLog: string;
  let oldDbHost: Xinetd | undefined;

  before(async () => {
    tmp = await makeTempDir('zrm-legacy-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 2, 5000);
    const oldDir = join(tmp.path, 'old');
    await mkdir(oldDir);
    const site = await startZrmSite(tmp.path, db);
    ours = site.xinetd;
    plugins = site.plugins;
    serverLog = site.serverLog;
    env = site.env;
    old = await startXinetd(oldDir, join(FIXTURES, 'old-server.pl'));
  });

  after(async () => {
    await ours?.stop();
    await old?.stop();
    await oldDbHost?.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('an old client gets a hot backup as tar (xbstream converted on the server) that restores', async () => {
    const snap = (action: string) => runPlugin(plugins['inno-snapshot.pl'], ['--action', action, '--host', '127.0.0.1'], env);
    for (const action of ['create-snapshot', 'mount']) assert.equal((await snap(action)).exitCode, 0);
    const dest = join(tmp.path, 'old-client-backup');
    await mkdir(dest);
    try {
      // An unmodified 1.8b5 client does not retry: with instances = 1, wait until mount's server is gone.
      await ours.idle();
      const r = await execa(join(FIXTURES, 'old-copy-from.pl'), ['127.0.0.1', String(ours.port), `${dest}/ZRM_LINKS/.`, dest], { reject: false });
      assert.equal(r.exitCode, 0, r.stderr);
      assert.ok(Number(r.stdout) > 1_000_000, `only ${r.stdout} bytes`);
    } finally {
      assert.equal((await snap('umount')).exitCode, 0);
    }
    assert.ok((await readdir(dest)).includes('xtrabackup_checkpoints'));
    await execa('mariabackup', ['--prepare', `--target-dir=${dest}`]);
    const copy = await startMariaDb(join(tmp.path, 'restored'), { datadir: dest, initialise: false });
    try {
      assert.deepEqual(await tableChecksums(copy, 'sbtest'), await tableChecksums(db, 'sbtest'));
    } finally {
      await copy.stop();
    }
  });

  test('a 1.8b5 request for a file gets byte for byte the frames Perl pack("u*") makes of the tar', async () => {
    const dir = join(tmp.path, 'files');
    await mkdir(dir);
    const payload = Buffer.alloc(25_000 + 77);
    for (let i = 0; i < payload.length; i++) payload[i] = (i * 7919) % 256;
    await writeFile(join(dir, 'binlog.000001'), payload);
    const wire = await rawRequest(ours.port, `1.8b5_palomino\ncopy from\n${dir}/binlog.000001\n/tmp\n/usr/bin\n`);
    const tar = await execa('tar', ['--same-owner', '-c', '-p', '-h', '-C', dir, '--', 'binlog.000001'], { encoding: 'buffer', stripFinalNewline: false });
    const framed = await execa('perl', ['-e', 'binmode STDIN; binmode STDOUT; while (read(STDIN, my $b, 10240)) { my $e = pack("u*", $b); print pack("N", length $e), $e }'], {
      input: tar.stdout,
      encoding: 'buffer',
      stripFinalNewline: false,
    });
    assert.ok(wire.length > 30_000);
    assert.ok(wire.equals(Buffer.from(framed.stdout)), `legacy frames differ from the old server's: ${wire.length} vs ${framed.stdout.length} bytes`);
  });

  test('an old client copies a tree of plain files, streamed as tar makes it, and gets every file whole', async () => {
    const src = join(tmp.path, 'tree');
    await mkdir(join(src, 'db', 'empty-dir'), { recursive: true });
    const files: Record<string, Buffer> = {};
    for (const [name, size] of [['db/t1.MYD', 3_000_000], ['db/t1.MYI', 10_240], ['db/t1.frm', 8_555], ['db/empty.MYD', 0], ['my.cnf', 333]] as const) {
      const data = Buffer.alloc(size);
      for (let i = 0; i < size; i++) data[i] = (i * 31 + size) % 251;
      files[name] = data;
      await writeFile(join(src, name), data);
    }
    const dest = join(tmp.path, 'old-client-tree');
    await mkdir(dest);
    await ours.idle();
    const r = await execa(join(FIXTURES, 'old-copy-from.pl'), ['127.0.0.1', String(ours.port), `${src}/.`, dest], { reject: false });
    assert.equal(r.exitCode, 0, r.stderr);
    for (const [name, data] of Object.entries(files)) assert.ok((await readFile(join(dest, name))).equals(data), `${name} arrived whole`);
    assert.deepEqual(await readdir(join(dest, 'db', 'empty-dir')), []);
  });

  test('stock ZRM\'s version 1.8 is hung up on without a byte, and logged', async () => {
    // The server hangs up first and writes its log line on the way out. xinetd (instances = 1)
    // also hangs up without a byte while the previous test's server is still exiting: ask
    // again until our server has answered and logged the refusal.
    const refused = /refused: unsupported protocol version "1\.8".*socket-copy\.palomino\.pl/;
    let log = '';
    for (let attempt = 0; attempt < 10 && !refused.test(log); attempt++) {
      const wire = await rawRequest(ours.port, '1.8\ncopy from\n/etc/hostname\n/tmp\n/usr/bin\n', true);
      assert.equal(wire.length, 0);
      for (let i = 0; i < 50 && !refused.test(log); i++) {
        await new Promise((r) => setTimeout(r, 100));
        log = await readFile(serverLog, 'utf8');
      }
    }
    assert.match(log, refused);
  });

  test('our copy plugin falls back to 1.8b5 against an old server, and fails clearly in v2-only mode', async () => {
    const dir = join(tmp.path, 'src-files');
    await mkdir(dir);
    await writeFile(join(dir, 'relay-log.info'), 'relay info\n');
    const zrmConf = join(tmp.path, 'zrm-old.conf');
    await writeZrmConf(zrmConf, { 'socket-remote-port': String(old.port) });
    const dest = join(tmp.path, 'from-old');
    await mkdir(dest);
    const args = ['--source-host', '127.0.0.1', '--source-file', join(dir, 'relay-log.info'), '--destination-host', 'localhost', '--destination-directory', dest];
    const r = await runPlugin(plugins['socket-copy.palomino.pl'], args, { ...env, ZRM_CONF: zrmConf });
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(await readFile(join(dest, 'relay-log.info'), 'utf8'), 'relay info\n');

    const v2Conf = join(tmp.path, 'v2-only.conf');
    await writeAppConfig(v2Conf, { dir: join(tmp.path, 'v2only'), protocol: 'v2' });
    const dest2 = join(tmp.path, 'from-old-v2');
    await mkdir(dest2);
    const args2 = [...args.slice(0, -1), dest2];
    const r2 = await runPlugin(plugins['socket-copy.palomino.pl'], args2, { ...env, ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: v2Conf });
    assert.notEqual(r2.exitCode, 0);
    assert.match(r2.stderr, /closed the connection without answering/);
    assert.deepEqual(await readdir(dest2), []);
  });

  test('issue 9: a ZRM full backup in ZRM\'s call order, our plugins against an unmodified 1.8b5 server, ends restorable', async () => {
    // The database host of 1.8b5 vintage: the Perl server and snapshot plugin, innobackupex-1.5.1
    // in the remote bin path, and a create-link that dies in mkpath as it does on a real host.
    const host = join(tmp.path, 'old-db-host');
    const pluginDir = join(host, 'plugins');
    const binDir = join(host, 'bin');
    await mkdir(pluginDir, { recursive: true });
    await mkdir(binDir);
    await copyFile(join(FIXTURES, 'inno-snapshot.pl'), join(pluginDir, 'inno-snapshot.pl'));
    await execa('chmod', ['755', join(pluginDir, 'inno-snapshot.pl')]);
    await symlink(join(FIXTURES, '..', 'tools', 'innobackupex-ok.sh'), join(binDir, 'innobackupex-1.5.1'));
    oldDbHost = await startXinetd(host, join(FIXTURES, 'old-server.pl'), {
      env: {
        OLD_SNAP_DIR: join(host, 'zrm-innosnap'),
        OLD_PLUGIN_DIR: pluginDir,
        OLD_CREATE_LINK_DENIED: '1',
        OLD_TOOL_LOG: join(host, 'innobackupex.log'),
        IBX_SOCKET: db.socket,
      },
    });
    const zrmConf = join(host, 'zrm.conf');
    await writeZrmConf(zrmConf, {
      user: db.backupUser,
      password: db.backupPassword,
      'backup-set': 'oldset',
      destination: join(tmp.path, 'zrm-old'),
      'copy-plugin': plugins['socket-copy.palomino.pl'],
      'snapshot-plugin': plugins['inno-snapshot.pl'],
      'socket-remote-port': String(oldDbHost.port),
      'remote-mysql-binpath': binDir,
    });
    const dest = join(tmp.path, 'zrm-old', 'oldset', '20261129120000');
    await mkdir(dest, { recursive: true });
    const harness = { conf: zrmConf, plugins: { snapshot: plugins['inno-snapshot.pl'], copy: plugins['socket-copy.palomino.pl'] }, env: { ...env, ZRM_CONF: zrmConf } };
    const { steps } = await zrmFullBackup(harness, '127.0.0.1', db.datadir, dest);
    const toolLog = await readFile(join(host, 'innobackupex.log'), 'utf8').catch(() => '(no tool log)');
    for (const [name, r] of steps) assert.equal(r.exitCode, 0, `${name}: ${r.stderr}\n${toolLog}`);
    const createLink = steps.find(([name]) => name === 'create-link')?.[1];
    assert.match(createLink?.stderr ?? '', /warning: the 1\.8b5 server did not answer with a status: mkdir .*Permission denied at/);
    assert.ok((await readdir(dest)).includes('xtrabackup_checkpoints'), (await readdir(dest)).join(' '));
    await execa('mariabackup', ['--prepare', `--target-dir=${dest}`]);
    const copy = await startMariaDb(join(tmp.path, 'restored-from-old'), { datadir: dest, initialise: false });
    try {
      assert.deepEqual(await tableChecksums(copy, 'sbtest'), await tableChecksums(db, 'sbtest'));
    } finally {
      await copy.stop();
    }
  });
});
