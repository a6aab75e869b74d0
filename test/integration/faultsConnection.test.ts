import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { assertHotBackup, eventually, listing, logOnceItHas, serverPids, startFaultHost, type FaultHost, type Plugins } from '../helpers/faultHost.js';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { installPlugins } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import type { Xinetd } from '../helpers/xinetd.js';

// The fault matrix, part two: the connection and the database. The socket server killed or
// stopped mid-stream, a 1.8b5 client hanging up, the database down, a wait_timeout shorter than
// the backup. The copy plugin must exit non-zero naming the cause, leave nothing in the
// destination, and the next backup of the same armed run must work.

const COPY_LOG_LINE = /action='copy from'.*outcome=/;
const PROTOCOLS = ['v2', 'legacy'] as const;

// One name a protocol, as plain literals: scripts/fault-matrix.mjs reads them from this file.
const SERVER_KILLED = {
  v2: 'fault: connection cut by the server (killed mid-stream) | v2 | copy plugin exits non-zero (the stream ended without its trailer); destination empty; the killed server\'s scratch is swept; next backup works',
  legacy: 'fault: connection cut by the server (killed mid-stream) | 1.8b5 | copy plugin exits non-zero (no end-of-archive blocks); destination empty; the killed server\'s scratch is swept; next backup works',
};
const SERVER_STALLED = {
  v2: 'fault: server stalled (stops writing, socket open) | v2 | after [client] stall_timeout the copy plugin exits non-zero "the server stalled"; destination empty; next backup works',
  legacy: 'fault: server stalled (stops writing, socket open) | 1.8b5 | after [client] stall_timeout the copy plugin exits non-zero "the server stalled"; destination empty; next backup works',
};
const DB_DOWN = {
  v2: 'fault: database down (mariadbd stopped while armed) | v2 | copy plugin exits non-zero with the tool\'s "Can\'t connect"; destination empty; next backup works once it is up',
  legacy: 'fault: database down (mariadbd stopped while armed) | 1.8b5 | copy plugin exits non-zero (a failed 1.8b5 stream; "Can\'t connect" in the server log); destination empty; next backup works once it is up',
};

describe('faults: connection and database', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let plugins: Plugins;
  const daemons: Xinetd[] = [];

  async function host(name: string, s: Parameters<typeof startFaultHost>[4] = {}): Promise<FaultHost> {
    const h = await startFaultHost(tmp.path, name, db, plugins, s);
    daemons.push(h.daemon);
    return h;
  }

  /** The copy plugin as a process of its own, so that a test can stop it for a moment. */
  function startCopy(h: FaultHost): ResultPromise<{ reject: false; stdin: 'ignore' }> {
    return execa(plugins['socket-copy.palomino.pl'], ['--source-host', '127.0.0.1', '--source-file', `${h.dest}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', h.dest], {
      env: h.env,
      reject: false,
      stdin: 'ignore',
    });
  }

  /** Resolves once the client's staging directory in `dest` holds something: data is flowing. */
  async function dataArriving(dest: string): Promise<void> {
    const flowing = await eventually(async () => {
      for (const n of await readdir(dest).catch(() => [] as string[])) {
        if (n.startsWith('.zrm-incoming-') && (await readdir(join(dest, n)).catch(() => [])).length > 0) return true;
      }
      return false;
    }, 6000, 10);
    assert.ok(flowing, 'no data ever reached the destination');
  }

  async function theServer(h: FaultHost): Promise<number> {
    const pids = await serverPids(await h.xinetdPid());
    assert.equal(pids.length, 1, `socket servers running: ${pids.join(' ')}`);
    return pids[0] ?? 0;
  }

  /** No backup tool of this host is left running, and the next backup of the armed run works. */
  async function cleanAndNextWorks(h: FaultHost, protocol: 'v2' | 'legacy'): Promise<void> {
    assert.ok(await eventually(async () => (await execa('pgrep', ['-f', `mariabackup.*${h.dir}`], { reject: false })).stdout.trim() === ''), 'mariabackup still running');
    assert.ok(await eventually(async () => (await serverPids(await h.xinetdPid())).length === 0), 'socket server still running');
    await h.configure({ protocol });
    const r = await h.copy();
    assert.equal(r.exitCode, 0, `${r.stderr}\n${await readFile(h.serverLog, 'utf8').catch(() => '')}`);
    await assertHotBackup(h.dest);
  }

  before(async () => {
    tmp = await makeTempDir('zrm-faults-conn-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 2, 3000);
    plugins = await installPlugins(join(tmp.path, 'plugins'));
  });

  after(async () => {
    for (const d of daemons) await d.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  for (const protocol of PROTOCOLS) {
    test(SERVER_KILLED[protocol], async () => {
      const h = await host(`server-killed-${protocol}`, { protocol });
      const copy = startCopy(h);
      await dataArriving(h.dest);
      // Hold the client while the server dies, so the cut is mid-stream however fast the rest would come.
      copy.kill('SIGSTOP');
      process.kill(await theServer(h), 'SIGKILL');
      copy.kill('SIGCONT');
      const r = await copy;
      assert.notEqual(r.exitCode, 0, r.stdout);
      assert.match(r.stderr, protocol === 'v2' ? /ended without (its|a) trailer|connection (was )?(closed|reset)|trailer/i : /end-of-archive|cut/i);
      assert.deepEqual(await listing(h.dest), []);
      await cleanAndNextWorks(h, protocol);
      assert.deepEqual((await readdir(join(h.dir, 'tmp'))), [], 'scratch of the killed server left behind');
    });

    test(SERVER_STALLED[protocol], { timeout: 300_000 }, async () => {
      const h = await host(`server-stalled-${protocol}`, { protocol, extra: '[client]\nstall_timeout = 6' });
      const copy = startCopy(h);
      await dataArriving(h.dest);
      const server = await theServer(h);
      process.kill(server, 'SIGSTOP');
      let r;
      try {
        r = await copy;
      } finally {
        process.kill(server, 'SIGCONT');
      }
      assert.notEqual(r.exitCode, 0, r.stdout);
      assert.match(r.stderr, /the server stalled: no data from 127\.0\.0\.1:\d+ for 6 s mid-stream \(\[client\] stall_timeout\)/);
      assert.deepEqual(await listing(h.dest), []);
      // Resumed, the server finds its client gone, fails the request and stops the tool.
      assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE, 600), /outcome=FAILED/);
      await cleanAndNextWorks(h, protocol);
    });
  }

  test('fault: connection cut by the client mid-stream | 1.8b5 | server logs FAILED and stops the backup tool; an unmodified 1.8b5 client that hung up cannot be told', async () => {
    const h = await host('client-hangup-legacy', { protocol: 'legacy' });
    // xinetd allows one server at a time: let the one that armed the run go first.
    assert.ok(await eventually(async () => (await serverPids(await h.xinetdPid())).length === 0));
    // An old client: the 1.8b5 header, reads part of the stream, hangs up.
    const got = await new Promise<number>((res, rej) => {
      let n = 0;
      const s = connect({ host: '127.0.0.1', port: h.port }, () => s.write(`1.8b5_palomino\ncopy from\n${h.dest}/ZRM_LINKS/.\n/tmp\n/usr/bin\n`));
      s.on('data', (c: Buffer) => {
        n += c.length;
        if (n > 10_000) {
          s.destroy();
          res(n);
        }
      });
      s.on('error', rej);
      s.on('end', () => rej(new Error(`stream ended after only ${n} bytes`)));
    });
    assert.ok(got > 10_000);
    assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE, 600), /action='copy from'.*outcome=FAILED/);
    await cleanAndNextWorks(h, 'legacy');
  });

  for (const protocol of PROTOCOLS) {
    test(DB_DOWN[protocol], async () => {
      const h = await host(`db-down-${protocol}`, { protocol });
      await db.stop();
      try {
        const r = await h.copy();
        assert.notEqual(r.exitCode, 0, r.stdout);
        if (protocol === 'v2') assert.match(r.stderr, /Can't connect|Connection refused|No such file/);
        else assert.match(r.stderr, /failed 1\.8b5 stream/);
        assert.deepEqual(await listing(h.dest), []);
        assert.match(await logOnceItHas(h.serverLog, COPY_LOG_LINE), /outcome=FAILED .*(Can't connect|Connection refused|No such file)/);
      } finally {
        db = await startMariaDb(db.dir, { initialise: false });
      }
      await cleanAndNextWorks(h, protocol);
    });
  }

  test('fault: wait_timeout shorter than the backup | v2 | the tool sets its own session wait_timeout: its connection outlives a long idle phase, the backup succeeds and prepares (a dropped connection would fail the copy naming it, never exit 0)', async () => {
    const h = await host('wait-timeout', { protocol: 'v2' });
    // The tool's connection, idle for at least `seconds` and still there.
    const idleToolConnection = async (seconds: number) =>
      (await db.sql(`SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '${db.backupUser}' AND COMMAND = 'Sleep' AND TIME >= ${seconds}`)).trim() !== '0';
    await db.sql('SET GLOBAL wait_timeout = 2');
    try {
      const copy = startCopy(h);
      await dataArriving(h.dest);
      // The tool's slow phase: its stdout blocks while the client does not read, its connection
      // to the database sits idle for longer than wait_timeout, and the server closes it.
      copy.kill('SIGSTOP');
      await new Promise((r) => setTimeout(r, 5000));
      const survived = await idleToolConnection(4);
      copy.kill('SIGCONT');
      const r = await copy;
      if (r.exitCode === 0) {
        assert.ok(survived, 'exit 0, yet the tool connection did not outlive wait_timeout (or the backup never idled)');
        await assertHotBackup(h.dest);
        const prepared = await execa('mariabackup', ['--prepare', `--target-dir=${h.dest}`], { reject: false });
        assert.equal(prepared.exitCode, 0, prepared.stderr);
      } else {
        assert.match(r.stderr, /gone away|Lost connection|wait_timeout/);
        assert.deepEqual(await listing(h.dest), []);
      }
    } finally {
      await db.sql('SET GLOBAL wait_timeout = 28800');
    }
  });
});
