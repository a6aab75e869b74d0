import { basename, normalize } from 'node:path/posix';
import type { ZrmConf } from '../config/zrmConf.js';

// Which ZRM backup run a snapshot call belongs to. Every call ZRM makes for the fake snapshot
// carries the same --directory /tmp/zrm-innosnap, --sname null and --dev /dev/null, so those say
// nothing; what differs between runs is the backup set's settings ZRM writes into ZRM_CONF (the
// backup host's snapshot plugin forwards these two keys). A run with neither (an unmodified
// 1.8b5 plugin on the backup host) is the anonymous run ''.

export const RUN_KEYS = ['backup-set', 'destination'] as const;

export interface RunKey {
  /** ZRM's backup set name; '' when not forwarded. */
  set: string;
  /** ZRM's destination (the backup root on the backup host); '' when not forwarded. */
  destination: string;
}

export const ANONYMOUS_RUN: RunKey = { set: '', destination: '' };

export function runKeyFrom(conf: ZrmConf | undefined): RunKey {
  const one = (k: string) => (conf?.get(k) ?? '').replace(/[\r\n]/g, '').trim();
  return { set: one('backup-set'), destination: one('destination').replace(/\/+$/, '') };
}

export function sameRun(a: RunKey, b: RunKey): boolean {
  return a.set === b.set && a.destination === b.destination;
}

export function describeRun(k: RunKey): string {
  if (k.set === '' && k.destination === '') return 'an unnamed backup run (no backup-set forwarded)';
  return `backup set '${k.set}'${k.destination ? ` (destination ${k.destination})` : ''}`;
}

/**
 * Whether a `copy from` path is this run's: ZRM copies `<destination>/<set>/<timestamp>/ZRM_LINKS/.`.
 * An unnamed run matches any path (the old behaviour: nothing to compare with).
 */
export function pathBelongsToRun(path: string, k: RunKey): boolean {
  // ZRM joins its paths as strings: `dest//set/...` or a `dest/` setting must still match.
  const p = normalize(path);
  const dest = k.destination === '' ? '' : normalize(`${k.destination}/`);
  if (dest !== '' && k.set !== '') return p.startsWith(`${dest}${k.set}/`);
  if (k.set !== '') return p.split('/').includes(k.set);
  if (dest !== '') return p.startsWith(dest);
  return true;
}

/**
 * ZRM's redirect point, `<backup dir>/ZRM_LINKS/.` (or the directory itself): what a copy of it
 * brings is the hot backup of an armed run (our server refuses it when nothing is armed).
 */
export function isLinksDir(path: string): boolean {
  return basename(normalize(`${path}/`)) === 'ZRM_LINKS';
}
