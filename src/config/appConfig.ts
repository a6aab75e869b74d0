import { readFileSync, readdirSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import ini from 'ini';
import { ExitCode, ExitError } from '../errors.js';

// The tool's own settings (/etc/mysql-zrm/innobackupex.conf). Every key, its default and its
// meaning is documented in packaging/etc/innobackupex.conf; keep the two in step.
export const DEFAULT_CONFIG_PATH = '/etc/mysql-zrm/innobackupex.conf';
export const CONFIG_ENV = 'ZRM_INNOBACKUPEX_CONF';

export type BackupToolName = 'mariabackup' | 'xtrabackup' | 'innobackupex';
export type ClientProtocol = 'auto' | 'v2' | 'legacy';

export interface AppConfig {
  backup: {
    tool: BackupToolName;
    /** Empty: /usr/bin/<tool>. */
    toolPath: string;
    /** The database server's my.cnf, passed as --defaults-file. */
    defaultsFile: string;
    socket: string;
    host: string;
    port: number | undefined;
    datadir: string;
    /** Extra options for the tool, whitespace separated (no shell, no quoting). */
    extraOptions: string[];
    /** Where to keep the LSN checkpoints of the last backup (--extra-lsndir); empty: not kept. */
    extraLsndir: string;
    /** Scratch space on the database host (tool temp files, xbstream-to-tar conversion). */
    tmpDir: string;
  };
  state: {
    dir: string;
    /** Seconds after which armed credentials are considered stale and ignored. */
    maxAge: number;
    /** False when `dir` is only the default (then a private fallback may replace it). */
    dirConfigured: boolean;
  };
  server: {
    port: number;
    /** Absolute directories the server may read from or write to. */
    allowedRoots: string[];
    /** Where the snapshot plugin lives; /etc/mysql-zrm/plugin-path wins when present. */
    pluginDir: string;
    /** Accept 1.8b5_palomino clients. */
    acceptLegacy: boolean;
    /** Seconds without a byte from the client before a request is abandoned. */
    idleTimeout: number;
    /** Seconds a write to the client may wait (client not reading) before the backup is stopped. */
    stallTimeout: number;
  };
  client: {
    protocol: ClientProtocol;
    connectTimeout: number;
    /** Seconds without a byte from the server before the copy is abandoned. */
    idleTimeout: number;
  };
  log: {
    serverLog: string;
    toolLog: string;
    level: string;
  };
}

export const DEFAULT_CONFIG: AppConfig = {
  backup: {
    tool: 'mariabackup',
    toolPath: '',
    defaultsFile: '',
    socket: '',
    host: '',
    port: undefined,
    datadir: '',
    extraOptions: [],
    extraLsndir: '',
    tmpDir: '/var/tmp',
  },
  state: { dir: '/var/lib/mysql-zrm-innobackupex', maxAge: 6 * 3600, dirConfigured: false },
  server: {
    port: 25300,
    allowedRoots: ['/'],
    pluginDir: '/usr/share/mysql-zrm/plugins',
    acceptLegacy: true,
    idleTimeout: 3600,
    stallTimeout: 60,
  },
  client: { protocol: 'auto', connectTimeout: 30, idleTimeout: 3600 },
  log: {
    serverLog: '/var/log/socket-server.log',
    toolLog: '/var/log/innobackupex.log',
    level: 'info',
  },
};

type Section = Record<string, unknown>;

function str(sec: Section | undefined, key: string, def: string): string {
  const v = sec?.[key];
  if (v === undefined || v === null) return def;
  if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
    throw new ExitError(`config: ${key} must be a single value`, ExitCode.config);
  }
  return String(v).trim();
}

function int(sec: Section | undefined, key: string, def: number, min: number, max: number): number {
  const s = str(sec, key, String(def));
  if (!/^\d+$/.test(s)) throw new ExitError(`config: ${key} must be a whole number, got '${s}'`, ExitCode.config);
  const n = Number(s);
  if (n < min || n > max) throw new ExitError(`config: ${key} must be between ${min} and ${max}`, ExitCode.config);
  return n;
}

function bool(sec: Section | undefined, key: string, def: boolean): boolean {
  const s = str(sec, key, String(def)).toLowerCase();
  if (['true', 'yes', '1', 'on'].includes(s)) return true;
  if (['false', 'no', '0', 'off'].includes(s)) return false;
  throw new ExitError(`config: ${key} must be true or false, got '${s}'`, ExitCode.config);
}

function absPath(sec: Section | undefined, key: string, def: string, allowEmpty = true): string {
  const s = str(sec, key, def);
  if (s === '' && allowEmpty) return s;
  if (!isAbsolute(s)) throw new ExitError(`config: ${key} must be an absolute path, got '${s}'`, ExitCode.config);
  return s;
}

function oneOf<T extends string>(sec: Section | undefined, key: string, def: T, allowed: readonly T[]): T {
  const s = str(sec, key, def) as T;
  if (!allowed.includes(s)) throw new ExitError(`config: ${key} must be one of ${allowed.join(', ')}, got '${s}'`, ExitCode.config);
  return s;
}

export function parseAppConfig(text: string): AppConfig {
  return appConfigFrom(ini.parse(text) as Record<string, Section>);
}

/** Later sections' keys replace earlier ones (drop-ins over the main file). */
export function mergeRaw(base: Record<string, Section>, over: Record<string, Section>): Record<string, Section> {
  const out: Record<string, Section> = { ...base };
  for (const [name, sec] of Object.entries(over)) {
    if (sec && typeof sec === 'object') out[name] = { ...(out[name] ?? {}), ...sec };
  }
  return out;
}

export function appConfigFrom(raw: Record<string, Section>): AppConfig {
  const d = DEFAULT_CONFIG;
  const b = raw.backup;
  const portText = str(b, 'port', '');
  const roots = str(raw.server, 'allowed_roots', d.server.allowedRoots.join(' '))
    .split(/[\s,:]+/)
    .filter((r) => r !== '');
  for (const r of roots) {
    if (!isAbsolute(r)) throw new ExitError(`config: allowed_roots entry '${r}' is not absolute`, ExitCode.config);
  }
  if (roots.length === 0) throw new ExitError('config: allowed_roots is empty', ExitCode.config);
  return {
    backup: {
      tool: oneOf(b, 'tool', d.backup.tool, ['mariabackup', 'xtrabackup', 'innobackupex'] as const),
      toolPath: absPath(b, 'tool_path', ''),
      defaultsFile: absPath(b, 'defaults_file', ''),
      socket: absPath(b, 'socket', ''),
      host: str(b, 'host', ''),
      port: portText === '' ? undefined : int(b, 'port', 3306, 1, 65535),
      datadir: absPath(b, 'datadir', ''),
      extraOptions: str(b, 'extra_options', '').split(/\s+/).filter((o) => o !== ''),
      extraLsndir: absPath(b, 'extra_lsndir', ''),
      tmpDir: absPath(b, 'tmp_dir', d.backup.tmpDir, false),
    },
    state: {
      dir: absPath(raw.state, 'dir', d.state.dir, false),
      maxAge: int(raw.state, 'max_age', d.state.maxAge, 1, 7 * 24 * 3600),
      dirConfigured: str(raw.state, 'dir', '') !== '',
    },
    server: {
      port: int(raw.server, 'port', d.server.port, 1, 65535),
      allowedRoots: roots,
      pluginDir: absPath(raw.server, 'plugin_dir', d.server.pluginDir, false),
      acceptLegacy: bool(raw.server, 'accept_legacy', d.server.acceptLegacy),
      idleTimeout: int(raw.server, 'idle_timeout', d.server.idleTimeout, 1, 86400),
      stallTimeout: int(raw.server, 'stall_timeout', d.server.stallTimeout, 1, 86400),
    },
    client: {
      protocol: oneOf(raw.client, 'protocol', d.client.protocol, ['auto', 'v2', 'legacy'] as const),
      connectTimeout: int(raw.client, 'connect_timeout', d.client.connectTimeout, 1, 3600),
      idleTimeout: int(raw.client, 'idle_timeout', d.client.idleTimeout, 1, 86400),
    },
    log: {
      serverLog: absPath(raw.log, 'server_log', d.log.serverLog, false),
      toolLog: absPath(raw.log, 'tool_log', d.log.toolLog, false),
      level: oneOf(raw.log, 'level', 'info', ['error', 'warn', 'info', 'debug'] as const),
    },
  };
}

function readOptional(path: string, mustExist: boolean): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (!mustExist && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ExitError(`cannot read config ${path}: ${(err as Error).message}`, ExitCode.config, { cause: err });
  }
}

/** `FILE.d/*.conf` in lexical order: drop-ins (e.g. Ansible's) that override the packaged file. */
function dropIns(path: string): string[] {
  try {
    return readdirSync(`${path}.d`)
      .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
      .sort()
      .map((n) => join(`${path}.d`, n));
  } catch {
    return [];
  }
}

/**
 * Loads the config named by --config, else $ZRM_INNOBACKUPEX_CONF, else the default path, then
 * its drop-ins. A missing default file means "all defaults"; a missing file the user named is
 * an error.
 */
export function loadAppConfig(explicitPath: string | undefined, env: NodeJS.ProcessEnv): AppConfig {
  // An empty variable is an unset one, not a file named ''.
  const named = explicitPath ?? (env[CONFIG_ENV] || undefined);
  const path = named ?? DEFAULT_CONFIG_PATH;
  let raw: Record<string, Section> = {};
  let current = path;
  try {
    const main = readOptional(path, named !== undefined);
    if (main !== undefined) raw = ini.parse(main) as Record<string, Section>;
    let config = appConfigFrom(raw);
    for (const file of dropIns(path)) {
      current = file;
      raw = mergeRaw(raw, ini.parse(readOptional(file, true) ?? '') as Record<string, Section>);
      // Checked after each file, so an error names the file that brought it in.
      config = appConfigFrom(raw);
    }
    return config;
  } catch (err) {
    if (err instanceof ExitError && !err.message.startsWith('cannot read')) {
      throw new ExitError(`${current}: ${err.message}`, ExitCode.config);
    }
    throw err;
  }
}
