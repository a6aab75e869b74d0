import type { StoredBackup } from './destinations.js';
import { formatAge } from './duration.js';
import { perfItem, worst, type CheckState } from './nagios.js';
import type { HistoryRecord } from './record.js';
import { lastVerified } from './summary.js';
import { humanBytes } from './historyTable.js';

// check's verdict, from the run history and the stored backups: per backup set, the newest good
// backup against --max-age / --warning-age, the newest verified backup against
// --max-verified-age / --warning-verified-age, and a WARNING when the last run failed.

export interface CheckLimits {
  maxAge: number;
  warningAge?: number | undefined;
  maxVerifiedAge?: number | undefined;
  warningVerifiedAge?: number | undefined;
  /** Only these backup sets (all that appear when empty). */
  sets: string[];
}

export interface Verdict {
  state: CheckState;
  text: string;
  perfdata: string[];
}

/** Records that are a backup being taken or copied: copy from / mysqlhotcopy, either side. */
function isBackupRecord(r: HistoryRecord): boolean {
  return (r.kind === 'copy' || r.kind === 'request') && (r.action === 'copy from' || r.action === 'mysqlhotcopy');
}

interface Good {
  time: number;
  bytes?: number | undefined;
  seconds?: number | undefined;
}

function setsToCheck(limits: CheckLimits, backups: HistoryRecord[], stored: StoredBackup[]): string[] {
  if (limits.sets.length > 0) return limits.sets;
  const named = new Set([...backups.map((r) => r.set ?? ''), ...stored.map((b) => b.set)].filter((s) => s !== ''));
  // Nothing attributable to a set (a database host without ZRM's layout in its paths): one group.
  return named.size > 0 ? [...named].sort() : [''];
}

export function evaluate(records: readonly HistoryRecord[], stored: readonly StoredBackup[], limits: CheckLimits, now: number): Verdict {
  const backups = records.filter(isBackupRecord);
  const sets = setsToCheck(limits, backups, [...stored]);
  const verified = lastVerified(records);
  let state: CheckState = 'OK';
  const parts: string[] = [];
  const perf: string[] = [];
  let newest: (Good & { set: string }) | undefined;
  for (const set of sets) {
    const mine = set === '' && limits.sets.length === 0 ? backups : backups.filter((r) => (r.set ?? '') === set);
    const goods: Good[] = [
      ...mine.filter((r) => r.ok).map((r) => ({ time: Date.parse(r.end), bytes: r.bytes, seconds: r.seconds })),
      ...stored.filter((b) => set === '' || b.set === set).map((b) => ({ time: b.time, bytes: b.bytes, seconds: b.seconds })),
    ];
    const good = goods.reduce<Good | undefined>((a, b) => (!a || b.time > a.time ? b : a), undefined);
    const name = set || 'backups';
    const label = set ? `${set}: ` : '';
    if (!good) {
      state = worst(state, 'CRITICAL');
      parts.push(`${label}no successful backup recorded`);
    } else {
      const age = (now - good.time) / 1000;
      let s: CheckState = 'OK';
      if (age > limits.maxAge) s = 'CRITICAL';
      else if (limits.warningAge !== undefined && age > limits.warningAge) s = 'WARNING';
      const lastRun = mine.at(-1);
      const failedSince = lastRun && !lastRun.ok && Date.parse(lastRun.end) > good.time;
      if (failedSince) s = worst(s, 'WARNING');
      state = worst(state, s);
      const size = good.bytes !== undefined ? `, ${humanBytes(good.bytes)}` : '';
      const took = good.seconds !== undefined ? ` in ${good.seconds}s` : '';
      parts.push(
        `${label}last backup ${formatAge(age)} ago${size}${took}${s === 'CRITICAL' ? ` (max ${formatAge(limits.maxAge)})` : ''}` +
          `${failedSince ? `; last run FAILED ${formatAge((now - Date.parse(lastRun.end)) / 1000)} ago: ${(lastRun.detail ?? '').slice(0, 120)}` : ''}`,
      );
      if (sets.length > 1) perf.push(perfItem(`${name}_age`, Math.round(age), 's', limits.warningAge, limits.maxAge));
      if (!newest || good.time > newest.time) newest = { ...good, set };
    }
    if (limits.maxVerifiedAge !== undefined || limits.warningVerifiedAge !== undefined) {
      const v = verified.filter((x) => set === '' || x.set === set).reduce<number | undefined>((a, x) => (a === undefined || x.backupTime > a ? x.backupTime : a), undefined);
      if (v === undefined) {
        state = worst(state, limits.maxVerifiedAge !== undefined ? 'CRITICAL' : 'WARNING');
        parts.push(`${label}no verified backup`);
      } else {
        const vage = (now - v) / 1000;
        let s: CheckState = 'OK';
        if (limits.maxVerifiedAge !== undefined && vage > limits.maxVerifiedAge) s = 'CRITICAL';
        else if (limits.warningVerifiedAge !== undefined && vage > limits.warningVerifiedAge) s = 'WARNING';
        state = worst(state, s);
        parts.push(`${label}newest verified backup ${formatAge(vage)} old${s === 'CRITICAL' ? ` (max ${formatAge(limits.maxVerifiedAge ?? 0)})` : ''}`);
        perf.push(perfItem(sets.length > 1 ? `${name}_verified_age` : 'verified_age', Math.round(vage), 's', limits.warningVerifiedAge, limits.maxVerifiedAge));
      }
    }
  }
  // The guidelines' plain labels for the newest backup of all (what a single-set host graphs).
  const head: string[] = [];
  if (newest) {
    head.push(perfItem('age', Math.round((now - newest.time) / 1000), 's', sets.length > 1 ? undefined : limits.warningAge, sets.length > 1 ? undefined : limits.maxAge));
    if (newest.bytes !== undefined) head.push(perfItem('size', newest.bytes, 'B'));
    if (newest.seconds !== undefined) head.push(perfItem('duration', newest.seconds, 's'));
  }
  return { state, text: parts.join('; '), perfdata: [...head, ...perf] };
}
