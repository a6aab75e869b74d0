// Turning measured rows into ratios against their group's baseline, a table for people and a
// JSON file for tools.
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';

export interface Row {
  name: string;
  /** Wall time of the work, ms. */
  wallMs: number;
  /** Payload bytes moved. */
  bytes: number;
  /** Peak RSS of the process doing the work (the largest one when there are several), KiB. */
  rssKiB: number | null;
  /** Each process's peak RSS when there are several, KiB. */
  rssParts?: Record<string, number | null>;
  /** Wall time of each repeat, ms (wallMs is their median). */
  samplesMs?: number[];
  /** CPU seconds of each of our processes (start-up included), where measured. */
  cpuParts?: Record<string, number>;
}

export interface Group {
  group: string;
  what: string;
  baseline: Row;
  cases: Row[];
}

const MiB = 1024 * 1024;

/** Null for a row that moved nothing (a baseline of RSS only, say). */
export function throughputMiBs(r: Row): number | null {
  return r.wallMs === 0 ? null : r.bytes / MiB / (r.wallMs / 1000);
}

function ratio(a: number | null, b: number | null): number | null {
  return a === null || b === null || b === 0 ? null : a / b;
}

/**
 * How many times longer than the baseline (1.00 = as fast; 2.00 = takes twice as long); null
 * against a baseline that is not timed (wallMs 0: one that only gives the RSS floor).
 */
export function timeRatio(c: Row, base: Row): number | null {
  return ratio(c.wallMs, base.wallMs);
}

export function rssRatio(c: Row, base: Row): number | null {
  return ratio(c.rssKiB, base.rssKiB);
}

function mib(kib: number | null): string {
  return kib === null ? 'n/a' : (kib / 1024).toFixed(1);
}

function fixed(n: number | null, digits = 2): string {
  return n === null ? 'n/a' : n.toFixed(digits);
}

function rssText(r: Row): string {
  if (!r.rssParts) return mib(r.rssKiB);
  return Object.entries(r.rssParts).map(([k, v]) => `${k} ${mib(v)}`).join(', ');
}

/** CPU seconds per GiB moved, process by process. */
function cpuText(r: Row): string {
  if (!r.cpuParts) return '';
  if (r.bytes === 0) return Object.entries(r.cpuParts).map(([k, v]) => `${k} ${v.toFixed(3)} s`).join(', ');
  const gib = r.bytes / (1024 * MiB);
  return Object.entries(r.cpuParts).map(([k, v]) => `${k} ${(v / gib).toFixed(2)}`).join(', ');
}

function pad(cells: string[], widths: number[]): string {
  return cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  ');
}

export function formatTable(groups: readonly Group[]): string {
  const head = ['case', 'wall s', 'MiB/s', 'peak RSS MiB', 'time x', 'RSS x', 'RSS of', 'CPU s/GiB of'];
  const lines: string[] = [];
  for (const g of groups) {
    const rows = [g.baseline, ...g.cases].map((r) => {
      const isBase = r === g.baseline;
      return [
        `${isBase ? '[base] ' : '       '}${r.name}`,
        r.wallMs === 0 ? 'n/a' : (r.wallMs / 1000).toFixed(2),
        fixed(throughputMiBs(r), 1),
        mib(r.rssKiB),
        isBase ? (r.wallMs === 0 ? 'n/a' : '1.00') : fixed(timeRatio(r, g.baseline)),
        isBase ? '1.00' : fixed(rssRatio(r, g.baseline)),
        r.rssParts ? rssText(r) : '',
        cpuText(r),
      ];
    });
    const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
    lines.push(`== ${g.group}: ${g.what}`, pad(head, widths), pad(head.map((h) => '-'.repeat(h.length)), widths));
    for (const r of rows) lines.push(pad(r, widths));
    lines.push('');
  }
  return lines.join('\n');
}

export async function writeResults(path: string, meta: object, groups: readonly Group[]): Promise<void> {
  const json = {
    ...meta,
    groups: groups.map((g) => ({
      group: g.group,
      what: g.what,
      baseline: { ...g.baseline, throughputMiBs: throughputMiBs(g.baseline) },
      cases: g.cases.map((c) => ({
        ...c,
        throughputMiBs: throughputMiBs(c),
        timeRatio: timeRatio(c, g.baseline),
        rssRatio: rssRatio(c, g.baseline),
      })),
    })),
  };
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(json, null, 2)}\n`);
}
