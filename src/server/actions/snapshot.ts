import { accessSync, constants, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { execa } from 'execa';
import { errorMessage } from '../../errors.js';
import type { Outcome, Session } from '../context.js';
import { sendStatus } from '../reply.js';
import { readCountedLines, readLine } from './extraLines.js';

const PLUGIN_PATH_FILE = '/etc/mysql-zrm/plugin-path';
const PLUGIN_TIMEOUT_MS = 10 * 60 * 1000;

/**
 * Where the snapshot plugin is looked for, in order: the first line of /etc/mysql-zrm/plugin-path
 * (as the old server did), [server] plugin_dir, then the directory of this server's own plugin
 * file (the three plugins are installed side by side).
 */
export function pluginDirs(s: Session): string[] {
  const dirs: string[] = [];
  try {
    const first = readFileSync(s.deps.pluginPathFile ?? PLUGIN_PATH_FILE, 'utf8').split('\n')[0]?.trim();
    if (first && first.startsWith('/')) dirs.push(first);
  } catch {
    // no such file
  }
  dirs.push(s.deps.config.server.pluginDir);
  if (s.deps.selfDir) dirs.push(s.deps.selfDir);
  return dirs;
}

function findPlugin(s: Session, name: string): string {
  const dirs = pluginDirs(s);
  for (const dir of dirs) {
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // try the next place
    }
  }
  return join(dirs[0] ?? s.deps.config.server.pluginDir, name);
}

function toLines(text: string): string[] {
  const t = text.replace(/\n$/, '');
  return t === '' ? [] : t.split('\n');
}

/**
 * `snapshot`: run the snapshot plugin here, with the settings the client forwarded as its
 * ZRM_CONF. Only the plugin's file name is taken from the client, never its directory.
 */
export async function snapshot(s: Session): Promise<Outcome> {
  const pluginPath = await readLine(s.reader, 'snapshot plugin path');
  const settings = await readCountedLines(s.reader, 'snapshot settings');
  s.requestRead();
  const name = basename(pluginPath.trim());
  if (!/^[A-Za-z0-9_][A-Za-z0-9._-]*$/.test(name)) {
    const message = `snapshot plugin name '${name}' refused`;
    await sendStatus(s, false, [message]);
    return { ok: false, detail: message };
  }
  const plugin = findPlugin(s, name);
  const args = s.header.params.split(/\s+/).filter((a) => a !== '');
  const dir = await mkdtemp(join(s.tmpdir, 'zrm-snapconf-'));
  try {
    const conf = join(dir, 'zrm.conf');
    await writeFile(conf, settings.map((l) => `${l}\n`).join(''), { mode: 0o600, flag: 'wx' });
    const r = await execa(plugin, args, {
      env: { ...s.deps.env, ZRM_CONF: conf },
      extendEnv: false,
      stdin: 'ignore',
      reject: false,
      cwd: '/',
      timeout: PLUGIN_TIMEOUT_MS,
    });
    const ok = r.exitCode === 0;
    const lines = ok ? toLines(r.stdout) : toLines(r.stderr || r.stdout || errorMessage(r));
    if (!ok && lines.length === 0) lines.push(`${name} ${r.signal ? `killed by ${r.signal}` : `exited ${r.exitCode ?? '?'}`}`);
    await sendStatus(s, ok, lines);
    const action = args.find((a) => a.startsWith('--action='))?.slice('--action='.length) ?? '?';
    return { ok, detail: `${name} --action=${action}${ok ? '' : `: ${lines.join(' / ')}`}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
