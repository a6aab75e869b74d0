import { formatBytes } from '../humanUnits.js';
import type { HistoryRecord } from './record.js';
import type { Verified } from './summary.js';

// status's table of recent runs, newest first, for a terminal: fixed columns, the detail last.

export function humanBytes(n: number | undefined): string {
  return n === undefined ? '-' : formatBytes(n);
}

const when = (iso: string) => iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');

export function historyTable(records: readonly HistoryRecord[]): string {
  if (records.length === 0) return '  (no runs recorded yet)\n';
  const rows = [['ENDED (UTC)', 'KIND', 'ACTION', 'SET', 'RESULT', 'BYTES', 'SECONDS', 'DETAIL']];
  for (const r of [...records].reverse()) {
    const detail = r.ok ? (r.path ?? '') : (r.detail ?? r.path ?? '');
    rows.push([when(r.end), r.kind, r.action, r.set || '-', r.ok ? 'OK' : 'FAILED', humanBytes(r.bytes), r.seconds.toFixed(1), detail.slice(0, 100)]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  return rows.map((row) => `  ${row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(widths[i] ?? 0))).join('  ')}`.trimEnd()).join('\n') + '\n';
}

export function verifiedLines(verified: readonly Verified[]): string {
  if (verified.length === 0) return '  (no backup verified yet)\n';
  return verified
    .map((v) => `  ${v.set || '(no set)'}: backup of ${when(new Date(v.backupTime).toISOString())} restored OK (verify ended ${when(v.record.end)}, ${v.record.path ?? ''})`)
    .join('\n') + '\n';
}
