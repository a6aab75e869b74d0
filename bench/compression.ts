// Compression in transit (protocol 2.2): `copy from` of one file over loopback TCP, server and
// client in separate processes (bench/e2e.ts's ourCopy), with [client] compression off and
// gzip:1 (and zstd:1 where the runtime has it), for compressible data (sysbench-like rows, about 3:1 under gzip:1) and incompressible
// data (random bytes). Loopback is the fastest link there is: the ratio says what compression
// costs where the network is not the limit, and the title the bytes it saves on the wire.
import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { BenchConfig } from './config.js';
import { fileSha256, writeDataFile } from './data.js';
import { checkedRun, ourCopy } from './e2e.js';
import type { Row } from './report.js';
import type { Plan } from './rounds.js';
import { runtimeHas } from '../src/protocol/compression.js';

export const compressionPlans = ['rows', 'random'] as const;
type Data = (typeof compressionPlans)[number];

/** gzip:1 everywhere; zstd:1 too where the runtime has it (Node.js >= 22.15). */
const ENCODINGS = ['gzip:1', ...(runtimeHas('zstd') ? ['zstd:1'] : [])];
const MiB = 1024 * 1024;

/**
 * Rows as `SELECT * FROM sbtest1` dumps them (id, k, c of ten 11-digit groups, pad of five),
 * the groups drawn from a pool of 1500 so that they repeat as words in real text do: gzip:1
 * makes about 3:1 of it. A 16 MiB block, written again and again (beyond gzip's 32 KiB window).
 */
function rowsBlock(): Buffer {
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return (seed >>> 8) % n;
  };
  const pool = Array.from({ length: 1500 }, () => Array.from({ length: 11 }, () => String.fromCharCode(48 + rnd(10))).join(''));
  const groups = (n: number): string => Array.from({ length: n }, () => pool[rnd(pool.length)]).join('-');
  const lines: string[] = [];
  let size = 0;
  for (let id = 1; size < 16 * MiB; id++) {
    const line = `${id}\t${rnd(1_000_000)}\t${groups(10)}\t${groups(5)}\n`;
    lines.push(line);
    size += line.length;
  }
  return Buffer.from(lines.join('')).subarray(0, 16 * MiB);
}

async function writeRowsFile(path: string, total: number): Promise<void> {
  const block = rowsBlock();
  const fh = await open(path, 'wx', 0o600);
  try {
    for (let left = total; left > 0; left -= block.length) await fh.write(block.subarray(0, Math.min(left, block.length)));
  } finally {
    await fh.close();
  }
}

/** The last `sent N bytes as M on the wire` line of the bench server's log: M / N. */
async function lastWireShare(serverLog: string): Promise<number | undefined> {
  const text = await readFile(serverLog, 'utf8').catch(() => '');
  const all = [...text.matchAll(/sent (\d+) bytes as (\d+) on the wire/g)];
  const last = all.at(-1);
  return last ? Number(last[2]) / Number(last[1]) : undefined;
}

/** One group per kind of data: off (the baseline) and gzip:1. */
export async function compressionPlan(cfg: BenchConfig, tmp: string, data: Data): Promise<Plan> {
  const root = join(tmp, `compression-${data}`);
  const srcDir = join(root, 'src');
  await mkdir(srcDir, { recursive: true });
  const file = join(srcDir, 'bench.dat');
  if (data === 'rows') await writeRowsFile(file, cfg.bytes);
  else await writeDataFile(file, cfg.bytes);
  const sha256 = await fileSha256(file);
  const dest = (n: string): string => join(root, `dest-${n}`);
  // Measured on the way, per encoding: the compressed share of the wire (the server's log) and the wall times.
  const shares = new Map<string, number>();
  const wallMs = new Map<string, number[]>();
  const copy = (compression: string | undefined) => async (): Promise<Row> => {
    const row = await ourCopy('v2', file, dest(compression ?? 'off'), root, cfg.bytes, undefined, compression);
    if (compression) {
      const share = await lastWireShare(join(root, 'server.log'));
      if (share === undefined) throw new Error(`compression ${data}: the server did not compress (no 'on the wire' line in its log)`);
      shares.set(compression, share);
      wallMs.set(compression, [...(wallMs.get(compression) ?? []), row.wallMs]);
    }
    return row;
  };
  const measured = (enc: string): string => {
    const sorted = [...(wallMs.get(enc) ?? [])].sort((a, b) => a - b);
    const ms = sorted[Math.floor(sorted.length / 2)];
    const speed = ms === undefined ? '?' : (cfg.bytes / MiB / (ms / 1000)).toFixed(0);
    const share = shares.get(enc);
    if (share !== undefined && share > 0.95) return `${enc} ${share.toFixed(2)} (saves nothing: never pays)`;
    return `${enc} ${share?.toFixed(2) ?? '?'} (pays only on links slower than its ${speed} MiB/s of payload here)`;
  };
  const label = data === 'rows' ? 'sysbench-like rows' : 'random bytes';
  const mb = (cfg.bytes / MiB).toFixed(0);
  return {
    group: `compression-${data}`,
    // Read once the rounds are done (rounds.ts), so it carries what they measured.
    get what(): string {
      return (
        `v2 copy from of a ${mb} MiB file of ${label} over loopback, server and client in separate processes; ` +
        `bytes on the wire / payload bytes: off 1.00, ${ENCODINGS.map(measured).join(', ')}`
      );
    },
    runs: [
      checkedRun('v2 off server -> client', dest('off'), file, sha256, copy(undefined)),
      ...ENCODINGS.map((enc) => checkedRun(`v2 ${enc} server -> client`, dest(enc), file, sha256, copy(enc))),
    ],
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}
