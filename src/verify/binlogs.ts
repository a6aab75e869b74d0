import { readdir } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { execa } from 'execa';
import { errorMessage } from '../errors.js';
import type { BinlogPosition } from '../restore/backupFiles.js';
import { VerifyFailure } from './failure.js';

// ZRM's incremental backups after a full one are directories beside it in the same backup set
// (`<set>/<timestamp>/`), each holding the binary logs it copied. Replaying them from the full
// backup's binlog position shows how far this backup can take a point-in-time recovery.

export interface BinlogChain {
  /** In replay order, starting with the backup's own binlog file. */
  files: string[];
}

function numbered(name: string, prefix: string): number | undefined {
  const m = /^(.+)\.(\d{6,})$/.exec(name);
  return m && m[1] === prefix ? Number(m[2]) : undefined;
}

/** Binary logs of later backups in the same set; undefined when there are none. Fails on a gap. */
export async function findBinlogChain(backupDir: string, start: BinlogPosition): Promise<BinlogChain | undefined> {
  const setDir = dirname(backupDir);
  const own = basename(backupDir);
  const prefix = start.file.replace(/\.\d+$/, '');
  const first = numbered(start.file, prefix);
  if (first === undefined) return undefined;
  const found = new Map<number, string>();
  const later = (await readdir(setDir, { withFileTypes: true }).catch(() => [])).filter((e) => e.isDirectory() && e.name > own).map((e) => e.name).sort();
  for (const dir of later) {
    for (const name of await readdir(join(setDir, dir)).catch(() => [] as string[])) {
      const n = numbered(name, prefix);
      if (n !== undefined && n >= first && !found.has(n)) found.set(n, join(setDir, dir, name));
    }
  }
  if (found.size === 0) return undefined;
  const last = Math.max(...found.keys());
  const files: string[] = [];
  for (let n = first; n <= last; n++) {
    const file = found.get(n);
    const name = `${prefix}.${String(n).padStart(6, '0')}`;
    if (!file) {
      throw new VerifyFailure('binlogs', `binary log ${name} is missing from the incrementals in ${setDir} (have up to ${prefix}.${String(last).padStart(6, '0')})`,
        `a gap in the binary logs: point-in-time recovery from this backup stops before ${name}`);
    }
    files.push(file);
  }
  return { files };
}

/** Scans mariadb-binlog's output for event headers ("#261129 15:00:00 server id ..."). */
function lastEventTime(found: { time?: string }): Transform {
  let tail = '';
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      const text = tail + chunk.toString('latin1');
      const cut = text.lastIndexOf('\n');
      tail = cut < 0 ? text : text.slice(cut + 1);
      for (const m of (cut < 0 ? '' : text.slice(0, cut)).matchAll(/^#(\d{2})(\d{2})(\d{2}) +(\d{1,2}:\d\d:\d\d) server id/gm)) {
        found.time = `20${m[1] ?? ''}-${m[2] ?? ''}-${m[3] ?? ''} ${(m[4] ?? '').padStart(8, '0')}`;
      }
      done(null, chunk);
    },
  });
}

/** Replays the chain into the throwaway server; returns the time of the last event applied. */
export async function replayBinlogs(chain: BinlogChain, start: BinlogPosition, socket: string): Promise<string | undefined> {
  const dump = execa('mariadb-binlog', ['--no-defaults', `--start-position=${start.position}`, ...chain.files], { stdin: 'ignore', buffer: { stdout: false, stderr: true }, reject: false });
  const client = execa('mariadb', ['--no-defaults', '-uroot', `--socket=${socket}`, '--binary-mode'], { stdin: 'pipe', reject: false });
  const found: { time?: string } = {};
  let feedError: unknown;
  await pipeline(dump.stdout, lastEventTime(found), client.stdin).catch((err: unknown) => {
    feedError = err;
  });
  const [d, c] = await Promise.all([dump, client]);
  const why = d.exitCode !== 0 ? `mariadb-binlog: ${String(d.stderr).trim()}` : c.exitCode !== 0 ? String(c.stderr).trim() : feedError ? errorMessage(feedError) : '';
  if (why) {
    throw new VerifyFailure('binlogs', `replaying the binary logs failed: ${why}`, `the binary logs do not apply on top of this backup: point-in-time recovery from it would stop at ${found.time ?? 'the backup itself'}`);
  }
  return found.time;
}
