import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { copyFile, mkdir, readFile, readdir, stat, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, writeBackupOptionFile, type MariaDb } from '../helpers/mariadb.js';
import { MAIN_JS, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';

// `zrm-innobackupex backup --host DB --target DIR`, all real: MariaDB, xinetd, our socket server
// and mariabackup on the "database host", the CLI on the "backup host".

const LEGACY = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'test', 'fixtures', 'legacy');

interface Summary {
  outcome: string;
  exitCode: number;
  target?: string;
  bytes?: number;
  sha256?: string;
  tool?: string;
  toolVersion?: string;
  version: string;
  lsn?: { from: number; to: number };
  prepared?: boolean;
  estimatedBytes?: number;
  compression?: string;
  wireBytes?: number;
  error?: string;
}

describe('direct backup without ZRM', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let site: ZrmSite;
  let oldServer: Xinetd;
  let perlServer: Xinetd | undefined;
  let clientConf: string;
  let creds: string;

  const backup = (args: string[]) =>
    execa(process.execPath, [MAIN_JS, 'backup', '-c', clientConf, '--host', '127.0.0.1', ...args], { reject: false, stdin: 'ignore', env: { PATH: process.env.PATH ?? '/usr/bin:/bin' } });
  const stateFiles = async () => (await readdir(join(tmp.path, 'state')).catch(() => [] as string[])).filter((f) => f === 'running' || f === 'lock');

  before(async () => {
    tmp = await makeTempDir('zrm-direct-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 2, 500);
    const serverConf = join(tmp.path, 'server.conf');
    await writeAppConfig(serverConf, { dir: tmp.path, socket: db.socket, extra: `[backup]\ndatadir = ${db.datadir}\n` });
    site = await startZrmSite(tmp.path, db, { appConfigText: await readFile(serverConf, 'utf8') });
    // The same server answering as a 2.0 one: a client asking 2.1 must come back in 2.0.
    const oldConf = join(tmp.path, 'server-2.0.conf');
    await writeFile(oldConf, `${await readFile(serverConf, 'utf8')}\n[server]\nmax_v2_version = 2.0\n`);
    await mkdir(join(tmp.path, 'xinetd-2.0'));
    oldServer = await startXinetd(join(tmp.path, 'xinetd-2.0'), site.plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: oldConf } });
    clientConf = join(tmp.path, 'client.conf');
    await writeAppConfig(clientConf, { dir: join(tmp.path, 'client') });
    creds = join(tmp.path, 'backup.cnf');
    await writeBackupOptionFile(db, creds);
  });

  after(async () => {
    await oldServer?.stop();
    await perlServer?.stop();
    await site?.xinetd.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  test('--json: a complete hot backup in DIR/<UTC time>, its metadata beside it, the host disarmed', async () => {
    const target = join(tmp.path, 'backups');
    const r = await backup(['--port', String(site.xinetd.port), '--target', target, '--credentials', creds, '--json']);
    assert.equal(r.exitCode, 0, r.stderr + r.stdout);
    assert.equal(r.stderr, '', 'quiet when stderr is no terminal');
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.outcome, 'ok');
    assert.equal(s.tool, 'mariabackup');
    assert.match(String(s.toolVersion), /^\d+\.\d+/);
    assert.match(String(s.sha256), /^[0-9a-f]{64}$/);
    assert.ok((s.lsn?.to ?? 0) > 0);
    assert.ok((s.estimatedBytes ?? 0) > 0, `a 2.1 server reports the datadir size up front: ${r.stdout} ${await readFile(site.serverLog, 'utf8')}`);
    assert.equal(s.prepared, false);
    const names = await readdir(target);
    assert.equal(names.length, 1, `only the published backup, no staging: ${names.join(', ')}`);
    assert.match(names[0] ?? '', /^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    assert.equal(s.target, join(target, names[0] ?? ''));
    const meta = JSON.parse(await readFile(join(s.target ?? '', 'zrm-innobackupex.json'), 'utf8')) as { stream: { bytes: number; sha256: string } };
    assert.equal(meta.stream.bytes, s.bytes);
    assert.equal(meta.stream.sha256, s.sha256);
    assert.ok((await stat(join(s.target ?? '', 'xtrabackup_checkpoints'))).isFile());
    assert.deepEqual(await stateFiles(), [], 'disarmed: no running file, no run lock');
    const log = await readFile(site.serverLog, 'utf8');
    assert.match(log, /version=2\.1_zrm-innobackupex action='copy from'.*outcome=OK/);
    assert.ok(!log.includes(db.backupPassword), 'no password in the server log');
  });

  test('[client] compression = gzip:1: asked in 2.2, the backup travels compressed and lands whole; a 2.0 server is stepped down to', async () => {
    const gzipConf = join(tmp.path, 'client-gzip.conf');
    await writeAppConfig(gzipConf, { dir: join(tmp.path, 'client-gzip'), extra: '[client]\ncompression = gzip:1\n' });
    const run = (port: number, target: string) =>
      execa(process.execPath, [MAIN_JS, 'backup', '-c', gzipConf, '--host', '127.0.0.1', '--port', String(port), '--target', target, '--credentials', creds, '--json'], {
        reject: false,
        stdin: 'ignore',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
    const r = await run(site.xinetd.port, join(tmp.path, 'backups-gzip'));
    assert.equal(r.exitCode, 0, r.stderr + r.stdout);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.compression, 'gzip:1');
    assert.ok((s.wireBytes ?? Infinity) < (s.bytes ?? 0), `InnoDB pages compress: ${s.wireBytes} on the wire for ${s.bytes}`);
    assert.ok((s.estimatedBytes ?? 0) > 0, '2.2 keeps 2.1\'s size detail');
    const meta = JSON.parse(await readFile(join(s.target ?? '', 'zrm-innobackupex.json'), 'utf8')) as { stream: { bytes: number; sha256: string } };
    assert.deepEqual(meta.stream, { ...meta.stream, bytes: s.bytes, sha256: s.sha256 }, 'the recorded stream is the uncompressed one');
    assert.ok((await stat(join(s.target ?? '', 'xtrabackup_checkpoints'))).isFile());
    assert.match(await readFile(site.serverLog, 'utf8'), /version=2\.2_zrm-innobackupex action='copy from'.*outcome=OK/);
    const old = await run(oldServer.port, join(tmp.path, 'backups-gzip-2.0'));
    assert.equal(old.exitCode, 0, old.stderr + old.stdout);
    const o = JSON.parse(old.stdout) as Summary;
    assert.equal(o.compression, undefined);
    assert.ok((await stat(join(o.target ?? '', 'xtrabackup_checkpoints'))).isFile());
  });

  test('--prepare against a 2.0 server: asked again in 2.0 (no estimate), prepared on landing', async () => {
    const target = join(tmp.path, 'backups-2.0');
    const r = await backup(['--port', String(oldServer.port), '--target', target, '--credentials', creds, '--json', '--prepare']);
    assert.equal(r.exitCode, 0, r.stderr + r.stdout);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.outcome, 'ok');
    assert.equal(s.estimatedBytes, undefined);
    assert.equal(s.prepared, true);
    const checkpoints = await readFile(join(s.target ?? '', 'xtrabackup_checkpoints'), 'utf8');
    assert.match(checkpoints, /backup_type = (full-prepared|log-applied)/);
  });

  test('a wrong password: exit 6 (the stream\'s final status), nothing published, the host disarmed all the same', async () => {
    const bad = join(tmp.path, 'bad.cnf');
    await writeFile(bad, `[client]\nuser=${db.backupUser}\npassword=wrong\n`, { mode: 0o600 });
    const target = join(tmp.path, 'backups-bad');
    const r = await backup(['--port', String(site.xinetd.port), '--target', target, '--credentials', bad, '--json']);
    assert.equal(r.exitCode, 6, r.stdout);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.outcome, 'failed');
    assert.match(String(s.error), /Access denied|mariabackup/);
    assert.deepEqual(await readdir(target), [], 'no backup directory and no staging left');
    assert.deepEqual(await stateFiles(), []);
  });

  test('Ctrl-C while armed: the copy stops, the host is disarmed, nothing is published', async () => {
    const target = join(tmp.path, 'backups-interrupted');
    const child = backup(['--port', String(site.xinetd.port), '--target', target, '--credentials', creds, '--json']);
    // Wait until the host is armed (mount ran), then interrupt.
    while (!(await stateFiles()).includes('running')) {
      if (child.exitCode !== null) break;
      await new Promise((res) => setTimeout(res, 20));
    }
    child.kill('SIGINT');
    const r = await child;
    assert.equal(r.exitCode, 1, r.stdout);
    const s = JSON.parse(r.stdout) as Summary;
    assert.equal(s.outcome, 'failed');
    assert.match(String(s.error), /interrupted/);
    assert.deepEqual(await readdir(target), [], 'nothing published, no staging left');
    assert.deepEqual(await stateFiles(), [], 'disarmed');
  });

  test('against an unmodified 1.8b5 server (Perl stand-ins): the same calls in 1.8b5, a restorable backup', async () => {
    const host = join(tmp.path, 'perl-db-host');
    const pluginDir = join(host, 'plugins');
    const binDir = join(host, 'bin');
    await mkdir(pluginDir, { recursive: true });
    await mkdir(binDir);
    await copyFile(join(LEGACY, 'inno-snapshot.pl'), join(pluginDir, 'inno-snapshot.pl'));
    await execa('chmod', ['755', join(pluginDir, 'inno-snapshot.pl')]);
    await symlink(join(LEGACY, '..', 'tools', 'innobackupex-ok.sh'), join(binDir, 'innobackupex-1.5.1'));
    perlServer = await startXinetd(host, join(LEGACY, 'old-server.pl'), {
      env: { OLD_SNAP_DIR: join(host, 'zrm-innosnap'), OLD_PLUGIN_DIR: pluginDir, OLD_TOOL_LOG: join(host, 'innobackupex.log'), IBX_SOCKET: db.socket },
    });
    const target = join(tmp.path, 'backups-1.8b5');
    const r = await backup(['--port', String(perlServer.port), '--remote-binpath', binDir, '--target', target, '--credentials', creds, '--json']);
    assert.equal(r.exitCode, 0, r.stderr + r.stdout);
    const s = JSON.parse(r.stdout) as Summary & { protocol: string };
    assert.equal(s.outcome, 'ok');
    assert.equal(s.protocol, 'legacy');
    assert.ok((await stat(join(s.target ?? '', 'xtrabackup_checkpoints'))).isFile());
    await assert.rejects(stat(join(host, 'zrm-innosnap', 'running')), 'the old host is disarmed too');
  });

  test('credentials: a file others can read is refused (exit 3); none at all is a usage error (exit 2)', async () => {
    const open = join(tmp.path, 'open.cnf');
    await writeFile(open, `[client]\nuser=${db.backupUser}\n`, { mode: 0o644 });
    const target = join(tmp.path, 'backups-refused');
    const r = await backup(['--port', String(site.xinetd.port), '--target', target, '--credentials', open]);
    assert.equal(r.exitCode, 3, r.stderr);
    assert.match(r.stderr, /mode 644/);
    const none = await backup(['--port', String(site.xinetd.port), '--target', target]);
    assert.equal(none.exitCode, 2, none.stderr);
    assert.match(none.stderr, /--credentials/);
  });
});
