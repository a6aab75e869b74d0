import { readFile, readdir, stat } from 'node:fs/promises';
import { execa } from 'execa';
import type { AppConfig } from '../config/appConfig.js';
import { openRequest } from '../client/connection.js';
import { readStatusBlock } from '../protocol/statusBlock.js';
import { awaitServerClose } from '../client/connection.js';
import { ExitError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { AgentReply, DoctorDeps } from './types.js';

// The doctor's effects on the real host.

async function askAgent(config: AppConfig, logger: Logger, host: string, port: number): Promise<AgentReply> {
  const remote = { host, port, tmpdir: '/tmp', binpath: '/usr/bin' };
  // v2 only: a silent hang-up is an answer here (an old server), not a reason to speak 1.8b5.
  const settings = { ...config.client, protocol: 'v2' as const, connectTimeout: Math.min(config.client.connectTimeout, 10), idleTimeout: 30 };
  let conv;
  try {
    conv = await openRequest(remote, 'status', '', settings, logger, { security: config, pauses: [500] });
  } catch (err) {
    const message = (err as Error).message;
    if (/unknown action/.test(message)) return { kind: 'old-v2', values: new Map(), message };
    if (/without answering/.test(message)) return { kind: 'legacy', values: new Map(), message };
    throw err;
  }
  try {
    const status = await readStatusBlock(conv.reader);
    await awaitServerClose(conv.socket);
    if (!status.ok) throw new ExitError(status.lines.join(' / '));
    const values = new Map<string, string>();
    for (const l of status.lines) {
      const eq = l.indexOf('=');
      if (eq > 0) values.set(l.slice(0, eq), l.slice(eq + 1));
    }
    return { kind: 'status', values };
  } finally {
    conv.socket.destroy();
  }
}

async function uidOf(user: string): Promise<number | undefined> {
  const passwd = await readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [name, , uid] = line.split(':');
    if (name === user && uid !== undefined) return Number(uid);
  }
  return undefined;
}

export function hostDeps(config: AppConfig, logger: Logger, credentialsFile: string): DoctorDeps {
  return {
    config,
    credentialsFile,
    async exec(file, args) {
      const r = await execa(file, [...args], { reject: false, stdin: 'ignore', timeout: 30_000 });
      const missing = r.exitCode === undefined && (r as { code?: string }).code === 'ENOENT';
      return { exitCode: missing ? 127 : (r.exitCode ?? 1), stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? r.shortMessage ?? '') };
    },
    async stat(path) {
      const st = await stat(path).catch(() => undefined);
      return st ? { uid: st.uid, mode: st.mode, isDirectory: st.isDirectory() } : undefined;
    },
    readFile: (path) => readFile(path, 'utf8').catch(() => undefined),
    readdir: (path) => readdir(path).catch(() => [] as string[]),
    uidOf,
    askAgent: (host, port) => askAgent(config, logger, host, port),
  };
}
