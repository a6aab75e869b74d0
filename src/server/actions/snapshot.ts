import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Writable } from 'node:stream';
import { execa } from 'execa';
import { errorMessage } from '../../errors.js';
import { runSnapshotPlugin } from '../../snapshot/runSnapshotPlugin.js';
import type { Outcome, Session } from '../context.js';
import { sendStatus } from '../reply.js';
import { readCountedLines, readLine } from './extraLines.js';

const PLUGIN_TIMEOUT_MS = 10 * 60 * 1000;

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

interface PluginResult {
  code: number;
  stdout: string;
  stderr: string;
}

function toLines(text: string): string[] {
  const t = text.replace(/\n$/, '');
  return t === '' ? [] : t.split('\n');
}

/** Our own snapshot plugin, run in this process: no second Node start per ZRM call. */
async function runInProcess(s: Session, args: string[], conf: string): Promise<PluginResult> {
  const stdout = new Collector();
  const stderr = new Collector();
  const code = await runSnapshotPlugin(args, {
    env: { ...s.deps.env, ZRM_CONF: conf },
    config: s.deps.config,
    logger: s.deps.logger,
    stdout,
    stderr,
    run: s.deps.run,
  });
  return { code, stdout: stdout.text, stderr: stderr.text };
}

/** The snapshot plugin [server] snapshot_plugin names, as its own process. */
async function runConfigured(s: Session, plugin: string, args: string[], conf: string): Promise<PluginResult> {
  const r = await (s.deps.run ?? execa)(plugin, args, {
    env: { ...s.deps.env, ZRM_CONF: conf },
    extendEnv: false,
    stdin: 'ignore',
    reject: false,
    cwd: '/',
    timeout: PLUGIN_TIMEOUT_MS,
  });
  const code = r.exitCode ?? 1;
  const why = r.exitCode === 0 ? '' : r.stderr || r.stdout || `${basename(plugin)} ${r.signal ? `killed by ${r.signal}` : `exited ${r.exitCode ?? '?'}`}: ${errorMessage(r)}`;
  return { code, stdout: r.stdout, stderr: why };
}

/**
 * `snapshot`: run the snapshot plugin here, with the settings the client forwarded as its
 * ZRM_CONF. Which plugin is this host's choice ([server] snapshot_plugin, default our own),
 * never the client's: the path it sends is only logged. A `--host` would make the plugin forward
 * the settings (the database password) to another host: refused.
 */
export async function snapshot(s: Session): Promise<Outcome> {
  const clientPlugin = await readLine(s.reader, 'snapshot plugin path');
  const settings = await readCountedLines(s.reader, 'snapshot settings');
  s.requestRead();
  const args = s.header.params.split(/\s+/).filter((a) => a !== '');
  const configured = s.deps.config.server.snapshotPlugin;
  const name = configured === '' ? 'inno-snapshot (built in)' : configured;
  s.deps.logger.debug(`snapshot: client named '${clientPlugin.trim()}', running ${name}`);
  if (args.some((a) => a === '--host' || a.startsWith('--host='))) {
    const message = 'snapshot refused: --host would forward the settings to another host';
    await sendStatus(s, false, [message]);
    return { ok: false, detail: message };
  }
  // Never in the directory the client names (1.8b5's TMPDIR): a client that owns it could swap the
  // new directory for a link between its creation and the write, and collect the password.
  const dir = await mkdtemp(join(s.deps.config.backup.tmpDir, 'zrm-snapconf-'));
  try {
    const conf = join(dir, 'zrm.conf');
    await writeFile(conf, settings.map((l) => `${l}\n`).join(''), { mode: 0o600, flag: 'wx' });
    const r = configured === '' ? await runInProcess(s, args, conf) : await runConfigured(s, configured, args, conf);
    const ok = r.code === 0;
    const lines = ok ? toLines(r.stdout) : toLines(r.stderr || r.stdout);
    if (!ok && lines.length === 0) lines.push(`${name} exited ${r.code}`);
    await sendStatus(s, ok, lines);
    const action = args.find((a) => a.startsWith('--action='))?.slice('--action='.length) ?? '?';
    return { ok, detail: `${basename(name)} --action=${action}${ok ? '' : `: ${lines.join(' / ')}`}` };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
