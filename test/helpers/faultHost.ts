import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { MariaDb } from './mariadb.js';
import type { installPlugins } from './plugins.js';
import { startXinetd, type Xinetd } from './xinetd.js';
import { runPlugin, writeZrmConf, type PluginRun } from './zrmRun.js';

// One database host for a fault test: a real xinetd running our socket server, armed by the real
// snapshot plugin, ZRM's settings pointing at it, and a destination on the backup host. Its
// innobackupex.conf (read by the server on each connection and by the copy plugin) can be
// rewritten between calls: break something, see the copy fail, put it right, back up again.

export interface HostSettings {
  protocol?: 'auto' | 'v2' | 'legacy';
  tool?: string;
  toolPath?: string;
  tmpDir?: string;
  /** More lines, each under its section header (e.g. '[client]\nidle_timeout = 2'). */
  extra?: string;
}

export interface FaultHost {
  dir: string;
  dest: string;
  port: number;
  env: Record<string, string>;
  serverLog: string;
  toolLog: string;
  /** Rewrites innobackupex.conf: the defaults of a good host, then `s`. */
  configure(s: HostSettings): Promise<void>;
  /** ZRM's copy from of `<dest>/ZRM_LINKS/.` into `dest`. */
  copy(dest?: string): Promise<PluginRun>;
  /** pid of xinetd, whose children are the socket servers it started. */
  xinetdPid(): Promise<number>;
}

export type Plugins = Awaited<ReturnType<typeof installPlugins>>;

export async function startFaultHost(root: string, name: string, db: MariaDb, plugins: Plugins, s: HostSettings = {}): Promise<FaultHost & { daemon: Xinetd }> {
  const dir = join(root, name);
  await mkdir(join(dir, 'tmp'), { recursive: true, mode: 0o700 });
  const appConf = join(dir, 'innobackupex.conf');
  const serverLog = join(dir, 'socket-server.log');
  const toolLog = join(dir, 'innobackupex.log');
  const configure = async (c: HostSettings): Promise<void> => {
    const lines = [
      '[backup]',
      `tool = ${c.tool ?? 'mariabackup'}`,
      `tool_path = ${c.toolPath ?? '/usr/bin/mariabackup'}`,
      `socket = ${db.socket}`,
      `tmp_dir = ${c.tmpDir ?? join(dir, 'tmp')}`,
      '[state]',
      `dir = ${join(dir, 'state')}`,
      '[server]',
      `plugin_dir = ${join(root, 'plugins')}`,
      'allowed_roots = /',
      '[client]',
      `protocol = ${c.protocol ?? 'auto'}`,
      '[log]',
      `server_log = ${serverLog}`,
      `tool_log = ${toolLog}`,
      'level = debug',
    ];
    // Merge the extra lines into their sections: a section may appear once.
    let section = '';
    for (const line of (c.extra ?? '').split('\n').filter((l) => l.trim() !== '')) {
      const header = /^\[(\w+)\]$/.exec(line.trim());
      if (header) {
        section = line.trim();
        if (!lines.includes(section)) lines.push(section);
        continue;
      }
      const at = lines.indexOf(section);
      let end = at + 1;
      while (end < lines.length && !(lines[end] ?? '').startsWith('[')) end++;
      lines.splice(end, 0, line);
    }
    await writeFile(appConf, `${lines.join('\n')}\n`);
  };
  await configure(s);
  const armed = await armedZrmHost(dir, appConf, db, plugins);
  const xinetdPid = async () => Number((await readFile(join(dir, 'xinetd.pid'), 'utf8')).trim());
  return { ...armed, dir, serverLog, toolLog, configure, xinetdPid };
}

/**
 * xinetd serving our socket server with `appConf` (in `dir`), ZRM's settings pointing at it (with
 * `password`), armed by the real snapshot plugin; `copy` is ZRM's copy from of ZRM_LINKS.
 */
export async function armedZrmHost(dir: string, appConf: string, db: MariaDb, plugins: Plugins, password = db.backupPassword) {
  const daemon = await startXinetd(dir, plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: appConf } });
  const zrmConf = join(dir, 'zrm.conf');
  await writeZrmConf(zrmConf, {
    user: db.backupUser,
    password,
    'copy-plugin': plugins['socket-copy.palomino.pl'],
    'socket-remote-port': String(daemon.port),
  });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: appConf };
  for (const action of ['create-snapshot', 'mount']) {
    const r = await runPlugin(plugins['inno-snapshot.pl'], ['--action', action, '--host', '127.0.0.1'], env);
    assert.equal(r.exitCode, 0, r.stderr);
  }
  const dest = join(dir, 'backup');
  await mkdir(dest);
  const copy = (to = dest): Promise<PluginRun> =>
    runPlugin(plugins['socket-copy.palomino.pl'], ['--source-host', '127.0.0.1', '--source-file', `${dest}/ZRM_LINKS/.`, '--destination-host', 'localhost', '--destination-directory', to], env);
  return { daemon, port: daemon.port, env, dest, copy };
}

/** Polls `file` until `re` matches (the server logs its request line on the way out). */
export async function logOnceItHas(file: string, re: RegExp, tries = 100): Promise<string> {
  let log = '';
  for (let i = 0; i < tries && !re.test(log); i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 100));
    log = await readFile(file, 'utf8').catch(() => '');
  }
  return log;
}

/** Polls until `check` resolves true; false when it never did. */
export async function eventually(check: () => Promise<boolean>, tries = 300, ms = 100): Promise<boolean> {
  for (let i = 0; i < tries; i++) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, ms));
  }
  return false;
}

/** The socket servers xinetd is running right now (its children). */
export async function serverPids(xinetdPid: number): Promise<number[]> {
  const r = await execa('pgrep', ['-P', String(xinetdPid)], { reject: false });
  return r.stdout.split('\n').filter((l) => l !== '').map(Number);
}

/** A good backup landed in `dest`: mariabackup's checkpoints file says a full backup. */
export async function assertHotBackup(dest: string): Promise<void> {
  const names = await readdir(dest);
  assert.ok(names.includes('xtrabackup_checkpoints'), `no xtrabackup_checkpoints in ${dest}: ${names.join(' ')}`);
  assert.match(await readFile(join(dest, 'xtrabackup_checkpoints'), 'utf8'), /backup_type = full-backuped/);
  assert.ok(!names.some((n) => n.startsWith('.zrm-incoming')), 'staging left behind');
}

/** What is in `dir` (hidden entries included), for "nothing incomplete is left" checks. */
export const listing = (dir: string): Promise<string[]> => readdir(dir);
