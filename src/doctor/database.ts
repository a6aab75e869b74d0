import type { DoctorDeps, ExecResult } from './types.js';

// Talking to the local database with the configured account: the client program, its argv.

/** mariadb (MariaDB 10.5+) or mysql, whichever is installed. */
async function sqlClient(deps: DoctorDeps): Promise<string> {
  const r = await deps.exec('mariadb', ['--version']);
  return r.exitCode === 0 ? 'mariadb' : 'mysql';
}

/** Runs `sql` as the backup account (option file first, as the tools read it); tab-separated rows. */
export async function runSql(deps: DoctorDeps, sql: string): Promise<ExecResult> {
  const b = deps.config.backup;
  const args = [`--defaults-extra-file=${deps.credentialsFile}`];
  if (b.socket) args.push(`--socket=${b.socket}`);
  if (b.host) args.push(`--host=${b.host}`);
  if (b.port !== undefined) args.push(`--port=${b.port}`);
  args.push('-N', '-B', '-e', sql);
  return deps.exec(await sqlClient(deps), args);
}

export interface ServerIdentity {
  /** e.g. 10.11.6-MariaDB-0+deb12u1 or 8.0.36 */
  version: string;
  mariadb: boolean;
  major: number;
  minor: number;
}

export function parseServerVersion(text: string): ServerIdentity | undefined {
  const m = /^(\d+)\.(\d+)/.exec(text.trim());
  if (!m) return undefined;
  return { version: text.trim(), mariadb: /mariadb/i.test(text), major: Number(m[1]), minor: Number(m[2]) };
}
