import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { parseKeyValues } from '../restore/backupFiles.js';
import { VerifyFailure } from './failure.js';

// A private mariadbd on the scratch copy: its own socket, no network, no grant checks (only
// we can reach the socket, in a 0700 directory), no binary log, a small buffer pool.

export interface ThrowawayServer {
  socket: string;
  sql(query: string): Promise<string>;
  stop(): Promise<void>;
  errorLogTail(): Promise<string>;
}

const BINARIES = ['mariadbd', 'mysqld', '/usr/sbin/mariadbd', '/usr/sbin/mysqld'];
const START_TIMEOUT_MS = 180_000;
// The backup's own InnoDB layout (backup-my.cnf): the server must open the files as written.
const LAYOUT_KEYS = ['innodb_page_size', 'innodb_data_file_path', 'innodb_undo_tablespaces', 'innodb_checksum_algorithm'];

async function findServerBinary(): Promise<string> {
  for (const bin of BINARIES) {
    const r = await execa(bin, ['--version'], { reject: false, stdin: 'ignore' });
    if (r.exitCode === 0) return bin;
  }
  throw new VerifyFailure('start', 'no mariadbd or mysqld on this host', 'verify needs the database server binaries on the host it runs on', 5);
}

async function layoutOptions(datadir: string): Promise<string[]> {
  const text = await readFile(join(datadir, 'backup-my.cnf'), 'utf8').catch(() => '');
  const kv = parseKeyValues(text);
  return LAYOUT_KEYS.filter((k) => kv.has(k)).map((k) => `--${k.replace(/_/g, '-')}=${kv.get(k) ?? ''}`);
}

export async function startThrowawayServer(scratch: string, datadir: string): Promise<ThrowawayServer> {
  const bin = await findServerBinary();
  const socket = join(scratch, 's.sock');
  const tmp = join(scratch, 'tmp');
  const errorLog = join(scratch, 'server.err');
  await mkdir(tmp, { mode: 0o700 });
  const args = [
    '--no-defaults', ...(await layoutOptions(datadir)),
    `--datadir=${datadir}`, `--socket=${socket}`, '--skip-networking', `--tmpdir=${tmp}`,
    `--pid-file=${join(scratch, 'server.pid')}`, `--log-error=${errorLog}`,
    '--skip-grant-tables', '--skip-log-bin', '--skip-slave-start', '--performance-schema=OFF',
    '--innodb-buffer-pool-size=64M', '--innodb-log-file-size=16M', '--max-connections=10',
  ];
  if (process.getuid?.() === 0) args.push('--user=root');
  const server: ResultPromise = execa(bin, args, { reject: false, stdio: 'ignore', cleanup: true, cwd: scratch });
  let exited = false;
  void server.then(() => (exited = true));
  const errorLogTail = async () => (await readFile(errorLog, 'utf8').catch(() => '')).trim().split('\n').slice(-6).join('\n');
  const client = (extra: string[], input?: string) =>
    execa('mariadb', ['--no-defaults', '-uroot', `--socket=${socket}`, '-N', '-B', ...extra], { reject: false, input: input ?? '', cwd: scratch });
  const deadline = Date.now() + START_TIMEOUT_MS;
  for (;;) {
    if (exited) {
      throw new VerifyFailure('start', `the server would not start on the prepared copy:\n${await errorLogTail()}`, 'the prepared files do not form a data directory a server accepts: this backup would not restore');
    }
    if ((await client(['-e', 'SELECT 1'])).exitCode === 0) break;
    if (Date.now() > deadline) {
      server.kill('SIGKILL');
      await server;
      throw new VerifyFailure('start', `the server did not come up within ${START_TIMEOUT_MS / 1000} s:\n${await errorLogTail()}`, 'the server hung on the prepared copy');
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return {
    socket,
    async sql(query: string): Promise<string> {
      const r = await client([], query);
      if (r.exitCode !== 0) throw new Error(String(r.stderr).trim() || `mariadb exited ${String(r.exitCode)}`);
      return String(r.stdout);
    },
    async stop(): Promise<void> {
      if (!exited) await execa('mariadb-admin', ['--no-defaults', '-uroot', `--socket=${socket}`, 'shutdown'], { reject: false, stdin: 'ignore' });
      const timer = setTimeout(() => server.kill('SIGKILL'), 60_000);
      await server;
      clearTimeout(timer);
    },
    errorLogTail,
  };
}
