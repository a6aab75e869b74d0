import { runSql, parseServerVersion, type ServerIdentity } from './database.js';
import { fail, pass, skip, type CheckResult, type DoctorDeps } from './types.js';

// Is the backup tool here, and can its version back up the server that runs here?

const NAME = 'backup tool';

/** Why `tool` at `toolVersion` cannot back up `server`, or undefined when it can. */
export function toolMismatch(tool: string, toolVersion: string, server: ServerIdentity): string | undefined {
  const t = /(\d+)\.(\d+)/.exec(toolVersion);
  if (!t) return `cannot tell ${tool}'s version from '${toolVersion}'`;
  const [tMajor, tMinor] = [Number(t[1]), Number(t[2])];
  const serverMm = `${server.major}.${server.minor}`;
  if (tool === 'mariabackup') {
    if (!server.mariadb) return `mariabackup backs up MariaDB only; this server is MySQL ${server.version}: use xtrabackup`;
    if (tMajor !== server.major || tMinor !== server.minor) return `mariabackup ${tMajor}.${tMinor} cannot reliably back up MariaDB ${serverMm}: their major.minor must match`;
    return undefined;
  }
  if (server.mariadb) return `${tool} cannot back up MariaDB ${serverMm}: use mariabackup ${serverMm}`;
  if (tool === 'xtrabackup') {
    if (server.major >= 8) {
      if (tMajor !== server.major || tMinor !== server.minor) return `MySQL ${serverMm} needs xtrabackup ${serverMm}, this is ${tMajor}.${tMinor}`;
      return undefined;
    }
    if (tMajor !== 2 || tMinor !== 4) return `MySQL ${serverMm} needs xtrabackup 2.4, this is ${tMajor}.${tMinor}`;
    return undefined;
  }
  // innobackupex ships with XtraBackup up to 2.4, which stops at MySQL 5.7.
  if (server.major >= 8) return `innobackupex (XtraBackup ${tMajor}.${tMinor}) cannot back up MySQL ${serverMm}: use xtrabackup ${serverMm}`;
  return undefined;
}

const INSTALL_HINT: Record<string, string> = {
  mariabackup: 'install the mariadb-backup package of the same MariaDB version as the server',
  xtrabackup: 'install percona-xtrabackup of the same major.minor as the MySQL server',
  innobackupex: 'install percona-xtrabackup 2.4 (innobackupex), or set [backup] tool = xtrabackup',
};

/** The running server's version: through the account when known, else the server binary's. */
async function serverVersion(deps: DoctorDeps): Promise<ServerIdentity | undefined> {
  if (deps.credentialsFile) {
    const r = await runSql(deps, 'SELECT VERSION()');
    if (r.exitCode === 0) return parseServerVersion(r.stdout.split('\n')[0] ?? '');
  }
  for (const bin of ['mariadbd', 'mysqld']) {
    const r = await deps.exec(bin, ['--version']);
    const v = /Ver\s+(\S+)/.exec(r.stdout)?.[1];
    if (r.exitCode === 0 && v) return parseServerVersion(/mariadb/i.test(v) || !/mariadb/i.test(r.stdout) ? v : `${v}-MariaDB`);
  }
  return undefined;
}

export async function checkBackupTool(deps: DoctorDeps): Promise<CheckResult> {
  const { tool, toolPath } = deps.config.backup;
  const path = toolPath || tool;
  const r = await deps.exec(path, ['--version']);
  if (r.exitCode === 127) return fail(NAME, `${path} is not installed`, INSTALL_HINT[tool] ?? `install ${tool}`);
  const version = /(\d+\.\d+\.\d+)/.exec(`${r.stdout}\n${r.stderr}`)?.[1];
  if (!version) return fail(NAME, `${path} --version says nothing usable (exit ${r.exitCode})`, `check that ${path} runs: ${path} --version`);
  const server = await serverVersion(deps);
  if (!server) return skip(NAME, `${tool} ${version}; no database server found here to compare with`);
  const wrong = toolMismatch(tool, version, server);
  if (wrong) return fail(NAME, `${tool} ${version}, server ${server.version}: ${wrong}`, INSTALL_HINT[tool] ?? `install a matching ${tool}`);
  return pass(NAME, `${tool} ${version} can back up ${server.version}`);
}
