import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir } from 'node:fs/promises';
import { connect } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { installPlugins, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { runPlugin, writeZrmConf } from '../helpers/zrmRun.js';

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
  async function hostWithTool(name: string, tool: string, protocol = 'auto', password = db.backupPassword) {
    const dir = join(tmp.path, name);
    await mkdir(dir);
    const appConf = join(dir, 'innobackupex.conf');
    await writeAppConfig(appConf, { dir, socket: db.socket, toolPath: tool, protocol, pluginDir: join(tmp.path, 'plugins') });
    const x = await startXinetd(dir, plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: appConf } });
    daemons.push(x);
    const zrmConf = join(dir, 'zrm.conf');
    await writeZrmConf(zrmConf, {
      user: db.backupUser,
      password,
      'copy-plugin': plugins['socket-copy.palomino.pl'],
      'socket-remote-port': String(x.port),
    });
    const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: appConf };
    for (const action of ['create-snapshot', 'mount']) {
      const r = await runPlugin(plugins['inno-snapshot.pl'], ['--action', action, '--host', '127.0.0.1'], env);
      assert.equal(r.exitCode, 0, r.stderr);
    }
    const dest = join(dir, 'backup');
    await mkdir(dest);
    const copy = () =>
      runPlugin(plugins['socket-copy.palomino.pl'], ['--source-host', '127.0.0.1', '--source-file', `${dest}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', dest], env);
    return { dir, dest, port: x.port, env, copy, serverLog: join(dir, 'socket-server.log') };
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

  for (const [label, fixture] of [['killed part way', 'mariabackup-killed.sh'], ['cut short but exiting 0', 'mariabackup-cut-short.sh']] as const) {
    test(`a backup tool ${label} fails the copy (v2) and leaves the destination empty`, async () => {
      const h = await hostWithTool(`v2-${fixture}`, join(FIXTURES, 'tools', fixture));
      const r = await h.copy();
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /mariabackup|completed OK|exited|killed/);
      assert.deepEqual(await readdir(h.dest), []);
      assert.match(await logOnceItHas(h.serverLog, /action='copy from'.*outcome=/), /action='copy from'.*outcome=FAILED/);
    });

    test(`a backup tool ${label} fails the copy (1.8b5 client) and leaves the destination empty`, async () => {
      const h = await hostWithTool(`legacy-${fixture}`, join(FIXTURES, 'tools', fixture), 'legacy');
      const r = await h.copy();
      assert.notEqual(r.exitCode, 0);
      assert.match(r.stderr, /empty stream/);
      assert.deepEqual(await readdir(h.dest), []);
    });
  }

  test('a wrong password fails the copy with the tool\'s own reason, and never reaches a log', async () => {
    const h = await hostWithTool('wrong-password', '/usr/bin/mariabackup', 'auto', 'not-the-password');
    const r = await h.copy();
    assert.notEqual(r.exitCode, 0);
    assert.match(r.stderr, /Access denied/);
    assert.deepEqual(await readdir(h.dest), []);
    const logs = (await readFile(h.serverLog, 'utf8')) + (await readFile(join(h.dir, 'innobackupex.log'), 'utf8'));
    assert.ok(!logs.includes('not-the-password'));
  });

  test('a client that hangs up mid-stream stops the tool and the server', async () => {
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
        s.on('error', rej);
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
