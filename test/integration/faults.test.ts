import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { assertHotBackup, eventually, listing, logOnceItHas, serverPids, startFaultHost, type FaultHost, type Plugins } from '../helpers/faultHost.js';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { installPlugins } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import type { Xinetd } from '../helpers/xinetd.js';

// The fault matrix, part one: what is missing or full on either host (backup tool, the database
// host's temp dir, the backup host's disk) and wrong credentials toward 1.8b5. Each test breaks
// one thing, checks the copy fails naming it and leaves nothing that could pass for a backup,
// then puts it right and checks the next backup of the same armed run works.

const FIXTURES_LEGACY = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'test', 'fixtures', 'legacy');
const COPY_LOG_LINE = /action='copy from'.*outcome=/;

// One name a protocol, as plain literals: scripts/fault-matrix.mjs reads them from this file.
const TOOL_MISSING = {
  v2: 'fault: backup tool missing | v2 | copy plugin exits non-zero "mariabackup could not be started: <path> does not exist"; destination empty; next backup works',
  legacy: 'fault: backup tool missing | 1.8b5 | copy plugin exits non-zero (a failed 1.8b5 stream; the server log says the path does not exist); destination empty; next backup works',
};
const TMP_MISSING = {
  v2: 'fault: database host temp dir missing | v2 | copy plugin exits non-zero naming [backup] tmp_dir and the missing path; destination empty; next backup works',
  legacy: 'fault: database host temp dir missing | 1.8b5 | copy plugin exits non-zero (a failed 1.8b5 stream; the server log names [backup] tmp_dir); destination empty; next backup works',
};
const TMP_FULL = {
  v2: 'fault: database host temp dir full | v2 | copy plugin exits non-zero "No space left on device"; destination empty; no scratch left in tmp_dir; next backup works',
  legacy: 'fault: database host temp dir full | 1.8b5 | copy plugin exits non-zero (a failed 1.8b5 stream; the server log says No space left); destination empty; no scratch left in tmp_dir; next backup works',
};
const DEST_FULL = {
  v2: 'fault: backup host disk full during copy from | v2 | copy plugin exits non-zero "No space left on device"; nothing left in the destination; next backup works',
  legacy: 'fault: backup host disk full during copy from | 1.8b5 | copy plugin exits non-zero "No space left on device"; nothing left in the destination; next backup works',
};

describe('faults: missing or full', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let plugins: Plugins;
  const daemons: Xinetd[] = [];
  const mounts: string[] = [];

  async function host(name: string, s: Parameters<typeof startFaultHost>[4] = {}): Promise<FaultHost> {
    const h = await startFaultHost(tmp.path, name, db, plugins, s);
    daemons.push(h.daemon);
    return h;
  }

  /** A tmpfs of `size` at `dir`, unmounted after the file's tests. */
  async function smallDisk(dir: string, size: string): Promise<string> {
    await mkdir(dir, { recursive: true });
    await execa('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir]);
    mounts.push(dir);
    return dir;
  }

  /** Fills the file system of `dir` to the last byte. */
  async function fill(dir: string): Promise<void> {
    await execa('dd', ['if=/dev/zero', `of=${join(dir, 'filler')}`, 'bs=64k'], { reject: false });
    await execa('sync');
  }

  /** After the fault: the same armed run, put right, gives a good hot backup. */
  async function nextBackupWorks(h: FaultHost, s: Parameters<FaultHost['configure']>[0]): Promise<void> {
    await h.configure(s);
    const r = await h.copy();
    assert.equal(r.exitCode, 0, `${r.stderr}\n${await readFile(h.serverLog, 'utf8').catch(() => '')}`);
    await assertHotBackup(h.dest);
  }

  before(async () => {
    tmp = await makeTempDir('zrm-faults-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 2, 3000);
    plugins = await installPlugins(join(tmp.path, 'plugins'));
  });

  after(async () => {
    for (const d of daemons) await d.stop();
    for (const m of mounts.reverse()) await execa('umount', ['-l', m], { reject: false });
    await db?.stop();
    await tmp?.cleanup();
  });

  for (const protocol of ['v2', 'legacy'] as const) {

    test(TOOL_MISSING[protocol], async () => {
      const h = await host(`missing-tool-${protocol}`, { protocol, toolPath: '/nonexistent/bin/mariabackup' });
      const r = await h.copy();
      assert.notEqual(r.exitCode, 0);
      if (protocol === 'v2') assert.match(r.stderr, /mariabackup could not be started: \/nonexistent\/bin\/mariabackup does not exist/);
      else assert.match(r.stderr, /failed 1\.8b5 stream/);
      assert.deepEqual(await listing(h.dest), []);
      assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE), /outcome=FAILED .*\/nonexistent\/bin\/mariabackup does not exist/);
      await nextBackupWorks(h, { protocol });
    });

    test(TMP_MISSING[protocol], async () => {
      const h = await host(`missing-tmp-${protocol}`, { protocol });
      const gone = join(h.dir, 'no-such-tmp');
      await h.configure({ protocol, tmpDir: gone });
      const r = await h.copy();
      assert.notEqual(r.exitCode, 0);
      if (protocol === 'v2') assert.match(r.stderr, new RegExp(`tmp_dir.*${gone}|${gone}.*tmp_dir`));
      else assert.match(r.stderr, /failed 1\.8b5 stream/);
      assert.deepEqual(await listing(h.dest), []);
      assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE), new RegExp(`outcome=FAILED .*${gone}`));
      await nextBackupWorks(h, { protocol });
    });

    test(TMP_FULL[protocol], async () => {
      const h = await host(`full-tmp-${protocol}`, { protocol });
      const small = await smallDisk(join(h.dir, 'small-tmp'), '4m');
      await fill(small);
      await h.configure({ protocol, tmpDir: small });
      const r = await h.copy();
      assert.notEqual(r.exitCode, 0);
      if (protocol === 'v2') assert.match(r.stderr, /No space left on device|ENOSPC/);
      else assert.match(r.stderr, /failed 1\.8b5 stream/);
      assert.deepEqual(await listing(h.dest), []);
      assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE), /outcome=FAILED .*(No space left|ENOSPC)/);
      assert.deepEqual(await listing(small), ['filler'], 'the server left scratch in its temp dir');
      await nextBackupWorks(h, { protocol });
    });

    test(DEST_FULL[protocol], async () => {
      const h = await host(`full-dest-${protocol}`, { protocol });
      const small = await smallDisk(join(h.dir, 'small-dest'), '2m');
      const r = await h.copy(small);
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /No space left on device|ENOSPC/);
      assert.deepEqual(await listing(small), []);
      assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE), /outcome=/);
      await nextBackupWorks(h, { protocol });
    });
  }

  test('fault: database credentials wrong | 1.8b5 | our copy plugin and an unmodified 1.8b5 client exit non-zero (their tar rejects the stream); the reason ("Access denied") is only in the server log; nothing lands', async () => {
    const h = await host('wrong-password-legacy', { protocol: 'legacy' });
    // Re-arm the run with a wrong password, as ZRM would from a backup set with a stale one.
    const zrmConf = h.env.ZRM_CONF ?? '';
    await writeFile(zrmConf, (await readFile(zrmConf, 'utf8')).replace(/^password=.*$/m, 'password=not-the-password'));
    const arm = await execa(plugins['inno-snapshot.pl'], ['--action', 'mount', '--host', '127.0.0.1'], { env: h.env, reject: false });
    assert.equal(arm.exitCode, 0, arm.stderr);
    const r = await h.copy();
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /failed 1\.8b5 stream/);
    assert.deepEqual(await listing(h.dest), []);
    assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE), /outcome=FAILED .*Access denied/);
    // xinetd allows one server at a time: let the last one go first.
    assert.ok(await eventually(async () => (await serverPids(await h.xinetdPid())).length === 0));
    const old = await execa(join(FIXTURES_LEGACY, 'old-copy-from.pl'), ['127.0.0.1', String(h.port), `${h.dest}/ZRM_LINKS/.`, h.dest], { reject: false });
    assert.notEqual(old.exitCode, 0, `an unmodified 1.8b5 client took it for a backup: ${old.stdout}`);
    assert.match(old.stderr, /does not look like a tar archive|Skipping to next header/);
    assert.ok(Number(old.stdout.trim()) > 0, 'the old client got the invalid frame, not a closed connection');
    assert.deepEqual(await listing(h.dest), []);
    const logs = (await readFile(h.serverLog, 'utf8')) + (await readFile(h.toolLog, 'utf8'));
    assert.ok(!logs.includes('not-the-password'), 'the password reached a log');
  });
});
