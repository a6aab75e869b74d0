import type { HistoryRecord } from './record.js';

// What the history says about each backup set and action: its last run and its last success;
// and per backup set, the newest backup that verify restored. Shared by status (table, JSON,
// Prometheus) and check.

export interface Latest {
  kind: HistoryRecord['kind'];
  action: string;
  set: string;
  lastRun: HistoryRecord;
  lastSuccess?: HistoryRecord | undefined;
}

/** Records oldest first in, one entry per (kind, action, set) out, in a stable order. */
export function latestByKey(records: readonly HistoryRecord[]): Latest[] {
  const map = new Map<string, Latest>();
  for (const r of records) {
    const set = r.set ?? '';
    const key = JSON.stringify([r.kind, r.action, set]);
    const entry = map.get(key) ?? { kind: r.kind, action: r.action, set, lastRun: r };
    entry.lastRun = r;
    if (r.ok) entry.lastSuccess = r;
    map.set(key, entry);
  }
  return [...map.values()].sort((a, b) => `${a.kind} ${a.set} ${a.action}`.localeCompare(`${b.kind} ${b.set} ${b.action}`));
}

/** When the backup a passing verify proved was taken (its end time, else the verify's end). */
function verifiedBackupTime(r: HistoryRecord): number {
  return Date.parse(r.backupTime ?? r.end);
}

export interface Verified {
  set: string;
  /** The passing verify of the newest backup. */
  record: HistoryRecord;
  backupTime: number;
}

/** Per backup set, the passing verify of the newest backup. */
export function lastVerified(records: readonly HistoryRecord[]): Verified[] {
  const map = new Map<string, Verified>();
  for (const r of records) {
    if (r.kind !== 'verify' || !r.ok) continue;
    const set = r.set ?? '';
    const t = verifiedBackupTime(r);
    const prev = map.get(set);
    if (!prev || t >= prev.backupTime) map.set(set, { set, record: r, backupTime: t });
  }
  return [...map.values()].sort((a, b) => a.set.localeCompare(b.set));
}
