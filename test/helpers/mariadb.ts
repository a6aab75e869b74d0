import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './freePort.js';

// A throwaway MariaDB server for tests and the demo: its own datadir, socket and port under
// `dir`, run as root (mariadbd --user=root), binary logging on (ZRM's incrementals need it).
export interface MariaDb {
  dir: string;
  datadir: string;
  socket: string;
  port: number;
  /** A backup account with the privileges mariabackup needs. */
  backupUser: string;
  backupPassword: string;
  /** Runs SQL as root over the socket and returns stdout (tab separated, no headers). */
  sql(query: string, database?: string): Promise<string>;
  stop(): Promise<void>;
}

export const BACKUP_USER = 'zrm_backup';
// Characters a shell or an option file would mangle: the tools must pass it through untouched.
export const BACKUP_PASSWORD = `s3cr'et "pw" $HOME;|&`;

function sqlString(s: string): string {
  return `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

async function waitForSocket(socket: string, server: ResultPromise, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited = false;
  void server.then(() => (exited = true), () => (exited = true));
  while (Date.now() < deadline) {
    if (exited) throw new Error('mariadbd exited during start-up');
    const r = await execa('mariadb-admin', ['--no-defaults', '-uroot', `--socket=${socket}`, 'ping'], { reject: false });
    if (r.exitCode === 0) return;
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`mariadbd did not answer on ${socket} within ${timeoutMs} ms`);
}

export async function startMariaDb(dir: string, opts: { datadir?: string; initialise?: boolean; user?: string } = {}): Promise<MariaDb> {
  const user = opts.user ?? 'root';
  const datadir = opts.datadir ?? join(dir, 'data');
  const socket = join(dir, 'mysqld.sock');
  const port = await freePort();
  // Its own temp dir: servers of parallel tests must not share /tmp's #sql files.
  const tmp = join(dir, 'tmp');
  await mkdir(tmp, { recursive: true });
  if (user !== 'root' && opts.initialise === false) await execa('chown', [user, tmp]);
  if (opts.initialise !== false) {
    await mkdir(datadir, { recursive: true });
    // A server run as another user writes its log, pid, socket and temp files here too.
    if (user !== 'root') await execa('chown', [user, dir, datadir, tmp]);
    await execa('mariadb-install-db', [
      '--no-defaults', `--user=${user}`, `--datadir=${datadir}`, `--tmpdir=${tmp}`,
      '--auth-root-authentication-method=normal', '--skip-test-db',
    ]);
  }
  const server = execa('mariadbd', [
    '--no-defaults', `--user=${user}`, `--datadir=${datadir}`, `--socket=${socket}`,
    `--port=${port}`, '--bind-address=127.0.0.1', `--pid-file=${join(dir, 'mysqld.pid')}`, `--tmpdir=${tmp}`,
    `--log-error=${join(dir, 'mysqld.err')}`, '--log-bin=mysql-bin', '--server-id=1',
    '--innodb-buffer-pool-size=128M', '--innodb-log-file-size=64M', '--skip-name-resolve',
  ], { reject: false, stdio: 'ignore', cleanup: true });
  await waitForSocket(socket, server, 60_000);

  const sql = async (query: string, database?: string): Promise<string> => {
    const args = ['--no-defaults', '-uroot', `--socket=${socket}`, '-N', '-B'];
    if (database) args.push(database);
    const r = await execa('mariadb', args, { input: query });
    return r.stdout;
  };
  if (opts.initialise !== false) {
    await sql(
      `CREATE USER '${BACKUP_USER}'@'localhost' IDENTIFIED BY ${sqlString(BACKUP_PASSWORD)};` +
        `CREATE USER '${BACKUP_USER}'@'127.0.0.1' IDENTIFIED BY ${sqlString(BACKUP_PASSWORD)};` +
        `GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, REPLICATION CLIENT, SELECT ON *.* TO '${BACKUP_USER}'@'localhost';` +
        `GRANT RELOAD, PROCESS, LOCK TABLES, BINLOG MONITOR, REPLICATION CLIENT, SELECT ON *.* TO '${BACKUP_USER}'@'127.0.0.1';`,
    );
  }
  const stop = async (): Promise<void> => {
    await execa('mariadb-admin', ['--no-defaults', '-uroot', `--socket=${socket}`, 'shutdown'], { reject: false });
    const timer = setTimeout(() => server.kill('SIGKILL'), 30_000);
    await server;
    clearTimeout(timer);
  };
  return { dir, datadir, socket, port, backupUser: BACKUP_USER, backupPassword: BACKUP_PASSWORD, sql, stop };
}

/** Fills `database` with `tables` InnoDB tables of about `rowsPerTable` rows of ~1 KiB. */
export async function loadSampleData(db: MariaDb, database: string, tables: number, rowsPerTable: number): Promise<void> {
  let script = `CREATE DATABASE IF NOT EXISTS \`${database}\`; USE \`${database}\`;\n`;
  for (let t = 0; t < tables; t++) {
    script +=
      `CREATE TABLE t${t} (id INT PRIMARY KEY AUTO_INCREMENT, k INT, pad VARCHAR(1000)) ENGINE=InnoDB;\n` +
      `INSERT INTO t${t} (k, pad) SELECT seq, REPEAT(SHA2(seq, 256), 15) FROM seq_1_to_${rowsPerTable};\n`;
  }
  await db.sql(script);
}

/**
 * Flushes every dirty page and waits for InnoDB's checkpoint to catch up. A backup taken right
 * after a load otherwise carries the load in its redo, and prepare rebuilds those pages from it:
 * damage a test puts into a data page of the copy would be overwritten, on a slow machine only.
 */
export async function checkpoint(db: MariaDb, timeoutMs = 60_000): Promise<void> {
  await db.sql('SET GLOBAL innodb_max_dirty_pages_pct_lwm = 0.001; SET GLOBAL innodb_max_dirty_pages_pct = 0');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const status = await db.sql("SHOW GLOBAL STATUS WHERE Variable_name IN ('Innodb_buffer_pool_pages_dirty', 'Innodb_checkpoint_age')");
    const value = (name: string): number => Number(new RegExp(`^${name}\t(\\d+)$`, 'm').exec(status)?.[1] ?? NaN);
    if (value('Innodb_buffer_pool_pages_dirty') === 0 && value('Innodb_checkpoint_age') < 65_536) return;
    if (Date.now() > deadline) throw new Error(`InnoDB checkpoint did not catch up within ${timeoutMs} ms:\n${status}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** CHECKSUM TABLE of every table of `database`, as "table checksum" lines sorted. */
export async function tableChecksums(db: MariaDb, database: string): Promise<string[]> {
  const tables = (await db.sql(`SHOW TABLES FROM \`${database}\``)).split('\n').filter((t) => t !== '');
  if (tables.length === 0) return [];
  const out = await db.sql(`CHECKSUM TABLE ${tables.map((t) => `\`${database}\`.\`${t}\``).join(', ')} EXTENDED`);
  return out.split('\n').filter((l) => l !== '').sort();
}

/** A client option file (0600) holding the backup account, for tools run by tests. */
export async function writeBackupOptionFile(db: MariaDb, path: string): Promise<void> {
  const esc = db.backupPassword.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
  await writeFile(path, `[client]\nuser=${db.backupUser}\npassword="${esc}"\nsocket=${db.socket}\n`, { mode: 0o600 });
}
