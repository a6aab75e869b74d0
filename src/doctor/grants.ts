import { runSql, parseServerVersion } from './database.js';
import { fail, pass, skip, type CheckResult, type DoctorDeps } from './types.js';

// Does the configured account log in, and does it hold what the backup tool needs?

const LOGIN = 'database account';
const PRIVILEGES = 'privileges';

/** Global privileges (ON *.*) from SHOW GRANTS lines; ALL PRIVILEGES stands for every one. */
export function globalPrivileges(grants: readonly string[]): Set<string> {
  const out = new Set<string>();
  for (const line of grants) {
    const m = /^GRANT\s+(.+?)\s+ON\s+\*\.\*\s+TO\s/i.exec(line.trim());
    if (!m?.[1]) continue;
    for (const p of m[1].split(',')) out.add(p.trim().toUpperCase().replace(/\s+/g, ' '));
  }
  return out;
}

/** What the tool needs, as alternatives (any one of a group will do). */
export function requiredPrivileges(mariadb: boolean, major: number): string[][] {
  const base = [['RELOAD'], ['PROCESS'], ['LOCK TABLES'], ['REPLICATION CLIENT', 'BINLOG MONITOR', 'SUPER']];
  return !mariadb && major >= 8 ? [...base, ['BACKUP_ADMIN']] : base;
}

export function missingPrivileges(held: Set<string>, required: string[][]): string[] {
  if (held.has('ALL PRIVILEGES') || held.has('ALL')) return [];
  return required.filter((group) => !group.some((p) => held.has(p))).map((group) => group.join(' or '));
}

/** Two results: the login, then the privileges (skipped when the login fails). */
export async function checkAccount(deps: DoctorDeps): Promise<CheckResult[]> {
  if (!deps.credentialsFile) {
    const why = 'no option file to test: ZRM forwards the account per run';
    return [skip(LOGIN, `${why} (set [backup] credentials_file, or give doctor --credentials FILE)`), skip(PRIVILEGES, why)];
  }
  const r = await runSql(deps, 'SELECT VERSION(); SHOW GRANTS');
  if (r.exitCode !== 0) {
    const why = (r.stderr.trim().split('\n').pop() ?? '') || `exit ${r.exitCode}`;
    return [
      fail(LOGIN, `cannot log in with ${deps.credentialsFile}: ${why}`, `check user/password in ${deps.credentialsFile} ([client] group) and [backup] socket/host/port`),
      skip(PRIVILEGES, 'not checked: no login'),
    ];
  }
  const [versionLine = '', ...grants] = r.stdout.split('\n').filter((l) => l !== '');
  const server = parseServerVersion(versionLine);
  const user = /TO\s+(\S+)/i.exec(grants[0] ?? '')?.[1] ?? 'the account';
  const required = requiredPrivileges(server?.mariadb ?? true, server?.major ?? 10);
  const missing = missingPrivileges(globalPrivileges(grants), required);
  const login = pass(LOGIN, `${user} logs in to ${versionLine}`);
  if (missing.length > 0) {
    return [login, fail(PRIVILEGES, `${user} lacks ${missing.join(', ')}`, `GRANT ${missing.map((m) => m.split(' or ')[0]).join(', ')} ON *.* TO ${user};`)];
  }
  return [login, pass(PRIVILEGES, `${user} holds ${required.map((g) => g[0]).join(', ')}`)];
}
