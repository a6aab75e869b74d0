import { basename, dirname, normalize } from 'node:path';

// Which ZRM backup set a path belongs to, from ZRM's layout: every backup of a set lives in
// <destination>/<set>/<YYYYMMDDhhmmss>/ (ZRM_LINKS below it on a full backup).

const BACKUP_DIR_NAME = /^\d{14}$/;

export interface SetOfPath {
  set: string;
  destination: string;
  backupDir: string;
}

export function setOfPath(path: string | undefined): SetOfPath | undefined {
  if (!path || !path.startsWith('/')) return undefined;
  let dir = normalize(`${path}/`).replace(/\/+$/, '');
  if (basename(dir) === 'ZRM_LINKS') dir = dirname(dir);
  if (!BACKUP_DIR_NAME.test(basename(dir))) return undefined;
  const setDir = dirname(dir);
  const set = basename(setDir);
  if (set === '' || setDir === '/') return undefined;
  return { set, destination: dirname(setDir), backupDir: dir };
}
