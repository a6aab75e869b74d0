import { readFile, readdir, readlink, realpath, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { ExitCode, ExitError } from '../errors.js';
import { processAlive } from '../process/alive.js';

// A restore must never write under a live server or over data someone still has.

const IGNORED = new Set(['lost+found']);

export async function requireEmptyDatadir(datadir: string): Promise<void> {
  const names = await readdir(datadir).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw new ExitError(`cannot read ${datadir}: ${err.message}`, ExitCode.usage);
  });
  const left = names.filter((n) => !IGNORED.has(n));
  if (left.length > 0) {
    throw new ExitError(`${datadir} is not empty (${left.slice(0, 5).join(', ')}${left.length > 5 ? ', ...' : ''}): move its contents away first; restore never overwrites a data directory`, ExitCode.usage);
  }
}

async function pidFileServer(pidFile: string): Promise<number | undefined> {
  const text = await readFile(pidFile, 'utf8').catch(() => undefined);
  const pid = Number(text?.trim());
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}

function socketAnswers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** A mariadbd/mysqld whose working directory (a server's cwd is its datadir) is `datadir`. */
async function serverInDatadir(datadir: string): Promise<number | undefined> {
  const want = await realpath(datadir).catch(() => undefined);
  if (!want) return undefined;
  for (const name of await readdir('/proc').catch(() => [])) {
    if (!/^\d+$/.test(name)) continue;
    const comm = (await readFile(join('/proc', name, 'comm'), 'utf8').catch(() => '')).trim();
    if (comm !== 'mariadbd' && comm !== 'mysqld') continue;
    if ((await readlink(join('/proc', name, 'cwd')).catch(() => '')) === want) return Number(name);
  }
  return undefined;
}

export async function requireNoServer(datadir: string, opts: { pidFile?: string | undefined; socket?: string | undefined }): Promise<void> {
  const byCwd = await serverInDatadir(datadir);
  if (byCwd) throw new ExitError(`a database server (pid ${byCwd}) is running on ${datadir}: stop it first`, ExitCode.usage);
  if (opts.pidFile) {
    const pid = await pidFileServer(opts.pidFile);
    if (pid) throw new ExitError(`a database server is running (pid ${pid}, from ${opts.pidFile}): stop it first`, ExitCode.usage);
  }
  if (opts.socket && (await stat(opts.socket).catch(() => undefined)) && (await socketAnswers(opts.socket))) {
    throw new ExitError(`a database server answers on ${opts.socket}: stop it first`, ExitCode.usage);
  }
}
