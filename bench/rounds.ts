// Repeating a group's runs and folding the repeats into one row each: the median wall time
// (one slow run on a shared machine does not decide a ratio) and the highest peak RSS.
import type { Group, Row } from './report.js';

export interface Run {
  name: string;
  run: () => Promise<Row>;
}

/** A group ready to run: its first run is the baseline. */
export interface Plan {
  group: string;
  what: string;
  runs: [Run, ...Run[]];
  cleanup: () => Promise<void>;
}

function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function maxOrNull(values: ReadonlyArray<number | null>): number | null {
  return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
}

function fold(name: string, rows: readonly Row[]): Row {
  const first = rows[0];
  if (!first) throw new Error(`no measurement of ${name}`);
  const out: Row = {
    name,
    wallMs: median(rows.map((r) => r.wallMs)),
    bytes: first.bytes,
    rssKiB: maxOrNull(rows.map((r) => r.rssKiB)),
    samplesMs: rows.map((r) => Math.round(r.wallMs)),
  };
  if (first.cpuParts) {
    out.cpuParts = Object.fromEntries(
      Object.keys(first.cpuParts).map((k) => [k, median(rows.map((r) => r.cpuParts?.[k] ?? 0))]),
    );
  }
  if (first.rssParts) {
    out.rssParts = Object.fromEntries(
      Object.keys(first.rssParts).map((k) => [k, maxOrNull(rows.map((r) => r.rssParts?.[k] ?? null))]),
    );
  }
  return out;
}

/**
 * Runs every run `repeat` times. Each round starts one run later than the last, so that no
 * run always comes right after the same neighbour (whose dirty pages the kernel is still
 * writing back, say).
 */
export async function runRounds(plan: Plan, repeat: number): Promise<Group> {
  const measured = new Map<string, Row[]>(plan.runs.map((r) => [r.name, []]));
  for (let round = 0; round < repeat; round++) {
    const k = round % plan.runs.length;
    for (const r of [...plan.runs.slice(k), ...plan.runs.slice(0, k)]) measured.get(r.name)?.push(await r.run());
  }
  const [base, ...cases] = plan.runs.map((r) => fold(r.name, measured.get(r.name) ?? []));
  if (!base) throw new Error(`${plan.group}: no baseline`);
  return { group: plan.group, what: plan.what, baseline: base, cases };
}
