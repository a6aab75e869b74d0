import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { installPlugins, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import type { Xinetd } from '../helpers/xinetd.js';
import { runPlugin } from '../helpers/zrmRun.js';
import { armedZrmHost } from '../helpers/faultHost.js';

// Fault injection: a backup tool that dies or stops short, and a client that hangs up. The
// copy must fail loudly and leave nothing in the destination that could pass for a backup.
const FIXTURES = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', 'test', 'fixtures');

/** The server writes its request line on the way out: give it a few seconds to appear. */
async function logOnceItHas(file: string, re: RegExp, tries = 50): Promise<string> {
  let log = '';
  for (let i = 0; i < tries && !re.test(log); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    log = await readFile(file, 'utf8').catch(() => '');
  }
  return log;
}

describe('failures', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let plugins: Awaited<ReturnType<typeof installPlugins>>;
  const daemons: Xinetd[] = [];

  /** A database host whose backup tool is `tool`, armed, with ZRM settings pointing at it. */
  async function hostWithTool(name: string, tool: string, protocol = 'auto', password = db.backupPassword, toolName = 'mariabackup', extra = '') {
    const dir = join(tmp.path, name);
    await mkdir(dir);
    const appConf = join(dir, 'innobackupex.conf');
    await writeAppConfig(appConf, { dir, socket: db.socket, toolPath: tool, tool: toolName, protocol, pluginDir: join(tmp.path, 'plugins'), extra });
    const host = await armedZrmHost(dir, appConf, db, plugins, password);
    daemons.push(host.daemon);
    return { ...host, dir, serverLog: join(dir, 'socket-server.log') };
  }

  before(async () => {
    tmp = await makeTempDir('zrm-fail-');
    db = await startMariaDb(join(tmp.path, 'db'));
    await loadSampleData(db, 'sbtest', 2, 5000);
    plugins = await installPlugins(join(tmp.path, 'plugins'));
  });

  after(async () => {
    for (const d of daemons) await d.stop();
    await db?.stop();
    await tmp?.cleanup();
  });

  const TOOL_FAULTS = [
    ['mariabackup-killed.sh', 'fault: backup tool killed half way | v2 | copy plugin exits non-zero naming the tool; destination empty', 'fault: backup tool killed half way | 1.8b5 | copy plugin exits non-zero (not a tar header); destination empty'],
    ['mariabackup-cut-short.sh', 'fault: backup tool exits 0 without completed OK! | v2 | copy plugin exits non-zero (no "completed OK!"); destination empty', 'fault: backup tool exits 0 without completed OK! | 1.8b5 | copy plugin exits non-zero (not a tar header); destination empty'],
  ] as const;
  for (const [fixture, v2Name, legacyName] of TOOL_FAULTS) {
    test(v2Name, async () => {
      const h = await hostWithTool(`v2-${fixture}`, join(FIXTURES, 'tools', fixture));
      const r = await h.copy();
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /mariabackup|completed OK|exited|killed/);
      assert.deepEqual(await readdir(h.dest), []);
      assert.match(await logOnceItHas(h.serverLog, /action='copy from'.*outcome=/), /action='copy from'.*outcome=FAILED/);
    });

    test(legacyName, async () => {
      const h = await hostWithTool(`legacy-${fixture}`, join(FIXTURES, 'tools', fixture), 'legacy');
      const r = await h.copy();
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /not a tar header.*failed 1\.8b5 stream/);
      assert.deepEqual(await readdir(h.dest), []);
    });
  }

  test('fault: backup tool exits non-zero after two tar members | 1.8b5 | our copy plugin and an unmodified 1.8b5 client both exit non-zero (their tar rejects the stream); nothing lands', async () => {
    const h = await hostWithTool('legacy-tar-dies', join(FIXTURES, 'tools', 'innobackupex-dies-after-two.sh'), 'legacy', db.backupPassword, 'innobackupex');
    const r = await h.copy();
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /not a tar header/);
    assert.deepEqual(await readdir(h.dest), []);
    assert.match(await logOnceItHas(h.serverLog, /action='copy from'.*outcome=/), /outcome=FAILED innobackupex failed: .*No space left/);
    // The Perl stand-in decodes with Perl's own unpack("u*") and exits with its tar's status.
    const old = await execa(join(FIXTURES, 'legacy', 'old-copy-from.pl'), ['127.0.0.1', String(h.port), `${h.dest}/ZRM_LINKS/.`, h.dest], { reject: false });
    assert.notEqual(old.exitCode, 0, `an unmodified 1.8b5 client took it for a backup: ${old.stdout}`);
    assert.match(old.stderr, /does not look like a tar archive|Skipping to next header/);
    assert.deepEqual((await readdir(h.dest)).filter((n) => n !== '.zrm-incoming'), [], 'nothing of the partial backup landed');
  });

  test('fault: disk full where the data lands (copy to) | 1.8b5 | our copy plugin exits non-zero: "the server could not store the upload"; nothing left there', async () => {
    const h = await hostWithTool('legacy-full-disk', '/usr/bin/mariabackup', 'legacy');
    const full = join(h.dir, 'tiny');
    await mkdir(full);
    await execa('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', full]);
    try {
      const big = join(h.dir, 'big.bin');
      await writeFile(big, randomBytes(3 * 1024 * 1024));
      const r = await runPlugin(plugins['socket-copy.palomino.pl'], ['--source-file', big, '--destination-host', '127.0.0.1', '--destination-directory', full], h.env);
      const log = await logOnceItHas(h.serverLog, /action='copy to'.*outcome=/);
      assert.notEqual(r.exitCode, 0, `${r.stdout}\n${r.stderr}\n${log}`);
      assert.match(r.stderr, /could not store the upload: .*(No space left|Wrote only)/);
      assert.deepEqual(await readdir(full), []);
      assert.match(await logOnceItHas(h.serverLog, /action='copy to'.*outcome=/), /action='copy to'.*outcome=FAILED.*(No space left|Wrote only)/);
    } finally {
      await execa('umount', [full]);
    }
  });

  test('fault: database credentials wrong | v2 | copy plugin exits non-zero with the tool\'s "Access denied"; password in no log', async () => {
    const h = await hostWithTool('wrong-password', '/usr/bin/mariabackup', 'auto', 'not-the-password');
    const r = await h.copy();
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /Access denied/);
    assert.deepEqual(await readdir(h.dest), []);
    const logs = (await readFile(h.serverLog, 'utf8')) + (await readFile(join(h.dir, 'innobackupex.log'), 'utf8'));
    assert.ok(!logs.includes('not-the-password'));
  });

  test('fault: connection cut by the client mid-stream | v2 | server logs FAILED and stops the backup tool', async () => {
    const h = await hostWithTool('hangup', '/usr/bin/mariabackup');
    // Reads 10 kB of the backup stream, then hangs up. Resolves false if xinetd hung up first
    // (the previous request's server still exiting: `instances = 1`), as our client would retry.
    const readSomeThenHangUp = () =>
      new Promise<boolean>((res, rej) => {
        let got = 0;
        const s = connect({ host: '127.0.0.1', port: h.port }, () => s.write(`2.0_zrm-innobackupex\ncopy from\n${h.dest}/ZRM_LINKS/.\n/tmp\n/usr/bin\n`));
        s.on('data', (c: Buffer) => {
          got += c.length;
          if (got > 10_000) {
            s.destroy();
            res(true);
          }
        });
        // xinetd refusing (instances = 1) may reset rather than close: also a retry, before any data.
        s.on('error', (err) => (got === 0 ? res(false) : rej(err)));
        s.on('end', () => {
          if (got === 0) return res(false);
          void readFile(h.serverLog, 'utf8').then((log) => rej(new Error(`stream ended after only ${got} bytes; server log:\n${log}`)));
        });
      });
    let connected = false;
    for (let i = 0; i < 3 && !connected; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, 500));
      connected = await readSomeThenHangUp();
    }
    assert.ok(connected, 'never got a stream');
    // The tool has to notice first: allow it up to 30 s.
    const log = await logOnceItHas(h.serverLog, /action='copy from'.*outcome=/, 300);
    assert.match(log, /action='copy from'.*outcome=FAILED/);
    const ps = await execa('pgrep', ['-f', `mariabackup.*${h.dir}`], { reject: false });
    assert.equal(ps.stdout.trim(), '', 'mariabackup still running after the client left');
  });
});
