// Ages on the command line: 26h, 8d, 90m, 45s, 1w, or plain seconds; also 1d12h.

const UNIT: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };

/** Seconds, or undefined when `text` is not a positive duration. */
export function parseDuration(text: string): number | undefined {
  const t = text.trim().toLowerCase();
  if (/^\d+$/.test(t)) return Number(t) > 0 ? Number(t) : undefined;
  if (!/^(\d+(\.\d+)?[smhdw])+$/.test(t)) return undefined;
  let total = 0;
  for (const m of t.matchAll(/(\d+(?:\.\d+)?)([smhdw])/g)) total += Number(m[1]) * (UNIT[m[2] ?? 's'] ?? 1);
  return total > 0 ? Math.round(total) : undefined;
}

/** 3d4h, 5h12m, 42m, 17s: the two largest units, for a status line. */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const parts: Array<[number, string]> = [[Math.floor(s / 86_400), 'd'], [Math.floor((s % 86_400) / 3600), 'h'], [Math.floor((s % 3600) / 60), 'm'], [s % 60, 's']];
  const first = parts.findIndex(([n]) => n > 0);
  if (first < 0) return '0s';
  return parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => `${n}${u}`).join('');
}
