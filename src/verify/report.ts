import type { VerifyReport } from './verify.js';

// verify's summary for humans; --json prints the report object itself.

const MB = (n: number) => `${(n / 1e6).toFixed(1)} MB`;

export function formatReport(r: VerifyReport): string {
  const lines: string[] = [];
  const row = (k: string, v: string | undefined) => {
    if (v !== undefined) lines.push(`  ${`${k}:`.padEnd(15)}${v}`);
  };
  lines.push(`verify ${r.backup ?? r.path}: ${r.ok ? 'OK' : `FAILED (${r.failure?.step ?? '?'})`}`);
  if (r.failure) {
    row('error', r.failure.message.split('\n')[0]);
    for (const extra of r.failure.message.split('\n').slice(1)) lines.push(`                 ${extra}`);
    row('meaning', r.failure.meaning);
  }
  if (r.tool) row('made by', `${r.tool} ${r.toolVersion ?? ''}${r.serverVersion ? `, server ${r.serverVersion}` : ''}`);
  row('size', r.bytes === undefined ? undefined : MB(r.bytes));
  row('prepared', r.preparedBy === 'verify' ? 'on a scratch copy' : r.preparedBy);
  row('page checks', r.pageChecksums);
  if (r.tables !== undefined) row('tables', `${r.tables} checked with CHECK TABLE ... EXTENDED${r.ok ? ', all OK' : ''}`);
  row('rows', r.rows === undefined ? undefined : String(r.rows));
  if (r.lsn) row('LSN', `server ${r.lsn.server}, backup ${r.lsn.backup}`);
  if (r.pointInTime) {
    const p = r.pointInTime;
    row('point in time', `${p.file}:${p.position}${p.gtid ? `, GTID ${p.gtid}` : ''}${p.endTime ? `, backup ended ${p.endTime}` : ''}${p.reached ? `; binlogs reach ${p.reached}` : ''}`);
  }
  row('binlog replay', r.binlogReplay);
  row('time', `${r.seconds.toFixed(1)} s`);
  return `${lines.join('\n')}\n`;
}
