import { basename, join } from 'node:path';
import { parseZrmConf } from '../config/zrmConf.js';
import { fail, pass, skip, type CheckResult, type DoctorDeps } from './types.js';

// ZRM backup sets (/etc/mysql-zrm/<set>/mysql-zrm.conf) that take hot backups through us name our
// snapshot and copy plugins; a set naming the 1.8b5 Perl files gets no failure reporting.

const ZRM_DIR = '/etc/mysql-zrm';
const PLUGINS = { 'snapshot-plugin': 'inno-snapshot.pl', 'copy-plugin': 'socket-copy.palomino.pl' } as const;
const PACKAGED = '/usr/share/mysql-zrm/plugins';

async function isOurs(deps: DoctorDeps, path: string): Promise<boolean> {
  const head = (await deps.readFile(path))?.split('\n', 1)[0] ?? '';
  return !(head.startsWith('#!') && head.includes('perl'));
}

async function checkZrmSet(deps: DoctorDeps, set: string, text: string, root = ZRM_DIR): Promise<CheckResult> {
  const name = `ZRM set ${set}`;
  const conf = parseZrmConf(text.split('\n').filter((l) => !l.trim().startsWith('#')).join('\n'));
  // Logical backups (mysqldump) never call the plugins; raw is ZRM's default.
  const mode = conf.get('backup-mode')?.trim() || 'raw';
  if (mode !== 'raw') return skip(name, `backup-mode=${mode}: the plugins are not used`);
  const problems: string[] = [];
  const fixes: string[] = [];
  for (const [key, file] of Object.entries(PLUGINS)) {
    const value = conf.get(key)?.trim() ?? '';
    const want = `${key}=${PACKAGED}/${file}`;
    if (value === '') problems.push(`no ${key}`);
    else if (basename(value) !== file) problems.push(`${key} is ${value}`);
    else if (!(await deps.stat(value))) problems.push(`${key} ${value} does not exist`);
    else if (!(await isOurs(deps, value))) problems.push(`${key} ${value} is the 1.8b5 Perl plugin`);
    else continue;
    fixes.push(want);
  }
  if (problems.length > 0) return fail(name, problems.join('; '), `in ${join(root, set, 'mysql-zrm.conf')}: ${fixes.join(', ')}`);
  return pass(name, `uses our ${Object.values(PLUGINS).join(' and ')}`);
}

/** One result per backup set; none when this host has no ZRM sets (a database host). */
export async function checkZrmSets(deps: DoctorDeps): Promise<CheckResult[]> {
  const out: CheckResult[] = [];
  const root = deps.zrmDir ?? ZRM_DIR;
  for (const set of (await deps.readdir(root)).sort()) {
    const text = await deps.readFile(join(root, set, 'mysql-zrm.conf'));
    if (text !== undefined) out.push(await checkZrmSet(deps, set, text, root));
  }
  return out;
}
