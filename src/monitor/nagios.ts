// The exit statuses of `check`: the Monitoring Plugins guidelines', not the table in errors.ts
// (the man page and README list both; a test keeps them in step with this table).
export const CHECK_STATUSES = [
  { code: 0, name: 'OK', meaning: 'OK: every backup set has a backup (and a verified backup) young enough.' },
  { code: 1, name: 'WARNING', meaning: 'WARNING: older than a --warning-age, or the last run failed after a good one.' },
  { code: 2, name: 'CRITICAL', meaning: 'CRITICAL: no backup (or no verified backup) younger than the maximum age.' },
  { code: 3, name: 'UNKNOWN', meaning: 'UNKNOWN: bad arguments or settings, a run history or destination that cannot be read, nothing recorded.' },
] as const;

export type CheckState = (typeof CHECK_STATUSES)[number]['name'];

export function stateCode(state: CheckState): number {
  return CHECK_STATUSES.find((s) => s.name === state)?.code ?? 3;
}

export function worst(a: CheckState, b: CheckState): CheckState {
  return stateCode(a) >= stateCode(b) ? a : b;
}

/** One perfdata item: 'label'=value[UOM];[warn];[crit];[min];[max]. */
export function perfItem(label: string, value: number, uom: string, warn?: number, crit?: number): string {
  const l = /^[A-Za-z0-9_.-]+$/.test(label) ? label : `'${label.replace(/'/g, "''")}'`;
  return `${l}=${value}${uom};${warn ?? ''};${crit ?? ''};0;`;
}
