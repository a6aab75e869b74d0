// The case that matters most: a hot backup of a real (throwaway) MariaDB. The limit is the local
// pipe `mariabackup --backup --stream=xbstream | mbstream -x`; against it, the same backup
// through our socket server and copy plugin over loopback: v2 (xbstream, extracted by our native
// reader) and 1.8b5 (xbstream unpacked and re-sent as tar on the database host, tar -x here).
import { spawn } from 'node:child_process';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { treeSize } from '../src/fsutil/treeSize.js';
import { armState, ensureStateDir } from '../src/snapshot/state.js';
import { loadSampleData, startMariaDb, writeBackupOptionFile, type MariaDb } from '../test/helpers/mariadb.js';
import type { BenchConfig } from './config.js';
import { ourCopy } from './e2e.js';
import { hasGnuTime } from './measure.js';
import type { Row } from './report.js';
import type { Plan, Run } from './rounds.js';

/** Rows of ~1 KiB (InnoDB stores them in about 1.2 KiB). */
const ROW_BYTES = 1200;
const TABLES = 8;

interface Timed {
  rssKiB: number | null;
  cpuS: number | null;
}

/** GNU time's `%M %U %S` report, or nulls without it. */
async function readTimeFile(path: string): Promise<Timed> {
  const last = (await readFile(path, 'utf8').catch(() => '')).trim().split('\n').pop() ?? '';
  const [m, u, s] = last.split(' ').map(Number);
  if (m === undefined || !Number.isFinite(m)) return { rssKiB: null, cpuS: null };
  return { rssKiB: m, cpuS: (u ?? 0) + (s ?? 0) };
}

function wrapped(file: string, args: string[], timeFile: string): [string, string[]] {
  return hasGnuTime ? ['/usr/bin/time', ['-f', '%M %U %S', '-o', timeFile, file, ...args]] : [file, args];
}

function exited(child: ReturnType<typeof spawn>, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    // 'exit', not 'close': the pipe handed on to mbstream is never read here, so never closes.
    child.once('exit', (code, signal) => (code === 0 ? resolve() : reject(new Error(`${what} exited ${code ?? signal}`))));
  });
}

/**
 * The limit: mariabackup's stdout handed to mbstream as its stdin, a kernel pipe with nothing in
 * between (node:child_process, because execa would copy every byte through this process).
 */
async function localPipe(db: MariaDb, optionFile: string, tmp: string, dest: string): Promise<Row> {
  const target = join(tmp, 'hot-local-target');
  await mkdir(target);
  await mkdir(dest);
  const started = performance.now();
  try {
    const [bf, ba] = wrapped('mariabackup', [`--defaults-extra-file=${optionFile}`, '--backup', '--stream=xbstream', `--target-dir=${target}`, `--socket=${db.socket}`], join(tmp, 'mb.time'));
    const backup = spawn(bf, ba, { stdio: ['ignore', 'pipe', 'ignore'] });
    const [xf, xa] = wrapped('mbstream', ['-x', '-C', dest], join(tmp, 'mbs.time'));
    const extract = spawn(xf, xa, { stdio: [backup.stdout, 'ignore', 'ignore'] });
    backup.stdout?.destroy(); // our copy of the read end: mbstream has its own
    await Promise.all([exited(backup, 'mariabackup'), exited(extract, 'mbstream -x')]);
  } finally {
    await rm(target, { recursive: true, force: true });
  }
  const wallMs = performance.now() - started;
  const bytes = await treeSize(dest);
  const b = await readTimeFile(join(tmp, 'mb.time'));
  const x = await readTimeFile(join(tmp, 'mbs.time'));
  const rssParts = { mariabackup: b.rssKiB, 'mbstream -x': x.rssKiB };
  const values = Object.values(rssParts);
  const rssKiB = values.some((v) => v === null) ? null : Math.max(...(values as number[]));
  return { name: 'mariabackup | mbstream -x (local pipe)', wallMs, bytes, rssKiB, rssParts };
}

/** Parent side: a throwaway MariaDB with BENCH_DB_MB of InnoDB data, backed up three ways. */
export async function hotpathPlan(cfg: BenchConfig, tmp: string): Promise<Plan> {
  const dbDir = join(tmp, 'hot-db');
  await mkdir(dbDir);
  const db = await startMariaDb(dbDir);
  try {
    const rows = Math.max(1000, Math.round(cfg.dbBytes / ROW_BYTES / TABLES));
    await loadSampleData(db, 'benchdb', TABLES, rows);
  } catch (err) {
    await db.stop();
    throw err;
  }
  const optionFile = join(tmp, 'hot-backup.cnf');
  await writeBackupOptionFile(db, optionFile);
  const stateDir = join(tmp, 'hot-state');
  await ensureStateDir(stateDir);
  await writeFile(join(tmp, 'hot-README'), 'bench scratch\n');
  let bytes = 0; // set by the baseline run, which always comes first in round 1
  const dest = (n: string): string => join(tmp, `hot-dest-${n}`);
  const fresh = (name: string, dir: string, fn: () => Promise<Row>): Run => ({
    name,
    run: async () => {
      try {
        return { ...(await fn()), name };
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    },
  });
  const ours = (protocol: 'v2' | 'legacy'): Run =>
    fresh(`${protocol} server -> client (${protocol === 'v2' ? 'xbstream, native reader' : 'xbstream -> tar on the server'})`, dest(protocol), async () => {
      await armState(stateDir, { user: db.backupUser, password: db.backupPassword });
      // The redirect ignores the path asked for; any allowed path will do.
      const row = await ourCopy(protocol, join(tmp, 'hot-README'), dest(protocol), tmp, 0, { socket: db.socket, stateDir });
      const got = await treeSize(dest(protocol));
      if (bytes > 0 && got < bytes * 0.5) throw new Error(`${protocol}: the backup holds ${got} bytes, the local one ${bytes}`);
      return { ...row, bytes: bytes || got };
    });
  return {
    group: 'hotpath',
    what: `hot backup of a throwaway MariaDB (~${(cfg.dbBytes / 1024 / 1024).toFixed(0)} MiB of InnoDB data) over loopback`,
    runs: [
      fresh('mariabackup | mbstream -x (local pipe)', dest('local'), async () => {
        const row = await localPipe(db, optionFile, tmp, dest('local'));
        bytes = row.bytes;
        return row;
      }),
      ours('v2'),
      ours('legacy'),
    ],
    cleanup: async () => {
      await db.stop();
      await rm(dbDir, { recursive: true, force: true });
    },
  };
}
