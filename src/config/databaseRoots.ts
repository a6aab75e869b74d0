import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import { execa } from 'execa';
import type { AppConfig } from './appConfig.js';

// allowed_roots = auto: what the database needs and nothing more. Its data, binary-log,
// relay-log, InnoDB and temp directories as the server's my.cnf sets them (read the way the
// backup tool reads it), plus ZRM's default backup directory, where create-link makes ZRM_LINKS.

/** ZRM's default `destination`: <it>/<backup set>/<timestamp>/ZRM_LINKS on the database host. */
export const ZRM_BACKUP_DIR = '/var/lib/mysql-zrm';
const DEFAULT_DATADIR = '/var/lib/mysql';
const DEFAULT_TMPDIR = '/tmp';
// The option groups mysqld itself reads.
const GROUPS = ['mysqld', 'server', 'mariadb', 'mariadbd'];

/** `--name=value` lines (my_print_defaults' output) into a map; later ones win, as in mysqld. */
export function parseServerOptions(lines: readonly string[]): Map<string, string> {
  const opts = new Map<string, string>();
  for (const raw of lines) {
    const m = /^--([^=\s]+)(?:=(.*))?$/.exec(raw.trim());
    if (m?.[1]) opts.set(m[1].replace(/_/g, '-').toLowerCase(), (m[2] ?? '').trim());
  }
  return opts;
}

/** A my.cnf read without my_print_defaults: the server's groups of one file, no !include. */
export function serverOptionsFromCnf(text: string): string[] {
  const out: string[] = [];
  let inGroup = false;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const group = /^\[([^\]]+)\]$/.exec(line);
    if (group?.[1]) {
      inGroup = GROUPS.includes(group[1].trim().toLowerCase());
      continue;
    }
    if (!inGroup || line.startsWith('!')) continue;
    const eq = line.indexOf('=');
    const name = (eq < 0 ? line : line.slice(0, eq)).trim();
    const value = eq < 0 ? '' : line.slice(eq + 1).trim().replace(/^(["'])(.*)\1$/, '$2');
    out.push(eq < 0 ? `--${name}` : `--${name}=${value}`);
  }
  return out;
}

export async function readServerOptions(defaultsFile: string): Promise<string[]> {
  const args = defaultsFile ? [`--defaults-file=${defaultsFile}`, ...GROUPS] : GROUPS;
  const r = await execa('my_print_defaults', args, { reject: false, timeout: 10_000, stdin: 'ignore', env: { PATH: '/usr/bin:/bin:/usr/sbin:/sbin' } });
  if (r.exitCode === 0) return r.stdout.split('\n');
  // No my_print_defaults on this host: read the one file ourselves.
  if (defaultsFile) return serverOptionsFromCnf(await readFile(defaultsFile, 'utf8').catch(() => ''));
  return [];
}

/** The directory a log path (relative ones are inside the datadir) lives in. */
function logDir(value: string | undefined, datadir: string): string | undefined {
  if (value === undefined) return undefined;
  if (value === '') return datadir;
  return isAbsolute(value) ? dirname(value) : dirname(join(datadir, value));
}

/** The roots `auto` stands for, from the server's options. */
export function rootsFromOptions(opts: Map<string, string>, configuredDatadir: string): string[] {
  const datadir = configuredDatadir || opts.get('datadir') || DEFAULT_DATADIR;
  const roots = [datadir];
  for (const key of ['log-bin', 'log-bin-index', 'relay-log', 'relay-log-index', 'log-basename']) {
    const dir = logDir(opts.get(key), datadir);
    if (dir) roots.push(dir);
  }
  for (const key of ['innodb-data-home-dir', 'innodb-log-group-home-dir', 'innodb-undo-directory']) {
    const v = opts.get(key);
    if (v) roots.push(isAbsolute(v) ? v : join(datadir, v));
  }
  // tmpdir may list several directories, ':'-separated.
  roots.push(...(opts.get('tmpdir') || DEFAULT_TMPDIR).split(':').filter((d) => isAbsolute(d)));
  roots.push(ZRM_BACKUP_DIR);
  return [...new Set(roots)];
}

/** The config with `auto` in allowed_roots replaced by the database's own directories. */
export async function withDatabaseRoots(config: AppConfig): Promise<AppConfig> {
  if (!config.server.allowedRootsAuto) return config;
  const opts = parseServerOptions(await readServerOptions(config.backup.defaultsFile));
  const roots = [...new Set([...rootsFromOptions(opts, config.backup.datadir), ...config.server.allowedRoots])];
  return { ...config, server: { ...config.server, allowedRoots: roots } };
}
