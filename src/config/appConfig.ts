import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, ConfigReadError, type ConfigProblem } from './configError.js';
import { parseIniLines, type ConfigEntry, type IniLines, type SectionHeader } from './iniLines.js';
import { nearestName } from './nearest.js';
import { ValueError, bool, oneOf, optional, path, pathList, text, whole, words, type ValueReader } from './values.js';
import { errorMessage } from '../errors.js';
import { parseCidrList } from '../net/cidr.js';
import { checkTlsSection } from '../net/tlsConfig.js';
import { parseByteSize } from './byteSize.js';
import { parseEncoding, runtimeHas, type Encoding } from '../protocol/compression.js';

// The tool's own settings (/etc/mysql-zrm/innobackupex.conf). Every key, its default and its
// meaning is documented in packaging/etc/innobackupex.conf; keep the two in step (a test checks).
// A new key: a field in AppConfig, its default in DEFAULT_CONFIG, one line in CONFIG_KEYS.
const DEFAULT_CONFIG_PATH = '/etc/mysql-zrm/innobackupex.conf';
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
    /** A defaults file on this host with the database user/password; used instead of ZRM's. */
    credentialsFile: string;
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
    /** `auto` was among allowed_roots: the database's own directories are added at start. */
    allowedRootsAuto: boolean;
    /** Where the snapshot plugin lives; /etc/mysql-zrm/plugin-path wins when present. */
    pluginDir: string;
    /** Accept 1.8b5_palomino clients. */
    acceptLegacy: boolean;
    /** Seconds without a byte from the client before a request is abandoned. */
    idleTimeout: number;
    /** Seconds the whole request (header and extra lines) has to arrive in. */
    headerTimeout: number;
    /** CIDRs a client's address must be in (checked on the socket before the request is read). */
    allowedClients: string[];
    /** Seconds one connection may last, whatever it does (busy or not); then it is ended. */
    requestTimeout: number;
    /** Hosts `copy between` may send to or fetch from; empty: `copy between` is refused. */
    copyBetweenHosts: string[];
    /** The snapshot plugin the `snapshot` action runs; empty: our own, in-process. */
    snapshotPlugin: string;
    /** Seconds a write to the client may wait (client not reading) before the backup is stopped. */
    stallTimeout: number;
    /** Newest v2 protocol answered; '2.0' / '2.1' behave as those servers (hang up on newer requests). */
    maxV2Version: '2.0' | '2.1' | '2.2';
    /** Compress a data stream in transit when a 2.2 client asks for it. */
    compression: boolean;
  };
  client: {
    protocol: ClientProtocol;
    /** Encodings a data stream may travel in (2.2), preferred first; empty: off (raw bytes, 2.0/2.1 as before). */
    compression: Encoding[];
    connectTimeout: number;
    /** Seconds without a byte from the server before the copy is abandoned. */
    idleTimeout: number;
    /** Seconds a data stream, once started, may go without a byte (the server stalled). */
    stallTimeout: number;
    /** Prepare a hot backup right after it lands (src/restore/landed.ts). */
    prepare: boolean;
    /** Largest apparent size (holes included) a received xbstream may give one file. */
    maxFileSize: bigint;
  };
  log: {
    serverLog: string;
    toolLog: string;
    level: string;
  };
  /** Shared secret of the v2 HMAC handshake (both sides); empty: no authentication. */
  auth: { secretFile: string };
  /** Mutual TLS inside v2 (both sides); all empty: no TLS. */
  tls: { cert: string; key: string; ca: string; serverName: string };
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
    credentialsFile: '',
    extraOptions: [],
    extraLsndir: '',
    tmpDir: '/var/tmp',
  },
  state: { dir: '/var/lib/mysql-zrm-innobackupex', maxAge: 6 * 3600, dirConfigured: false },
  server: {
    port: 25300,
    allowedRoots: [],
    allowedRootsAuto: true,
    pluginDir: '/usr/share/mysql-zrm/plugins',
    acceptLegacy: true,
    idleTimeout: 3600,
    headerTimeout: 30,
    allowedClients: ['127.0.0.0/8', '::1'],
    requestTimeout: 86400,
    copyBetweenHosts: [],
    snapshotPlugin: '',
    stallTimeout: 60,
    maxV2Version: '2.2',
    compression: true,
  },
  client: { protocol: 'auto', compression: [], connectTimeout: 30, idleTimeout: 3600, stallTimeout: 600, prepare: false, maxFileSize: 4n * 1024n ** 4n },
  log: {
    serverLog: '/var/log/socket-server.log',
    toolLog: '/var/log/innobackupex.log',
    level: 'info',
  },
  auth: { secretFile: '' },
  tls: { cert: '', key: '', ca: '', serverName: '' },
};

/** One `[section] key` of the file: the AppConfig field it sets and how its text is read. */
export interface ConfigKey {
  section: string;
  key: string;
  field: string;
  read: ValueReader<unknown>;
}

function key<S extends keyof AppConfig, F extends keyof AppConfig[S] & string>(
  section: S,
  name: string,
  field: F,
  read: ValueReader<AppConfig[S][F]>,
): ConfigKey {
  return { section, key: name, field, read };
}

/** Words separated by spaces or commas (host names). */
const list: ValueReader<string[]> = (t) => t.split(/[\s,]+/).filter((w) => w !== '');

/** allowed_roots: absolute paths, and 'auto' for the database's own directories (databaseRoots.ts). */
const rootList: ValueReader<string[]> = (t) => {
  const roots = t.split(/[\s,:]+/).filter((r) => r !== '');
  if (roots.length === 0) throw new ValueError('is empty');
  if (!roots.includes('auto')) return pathList(t);
  const paths = roots.filter((r) => r !== 'auto');
  return [...(paths.length > 0 ? pathList(paths.join(' ')) : []), 'auto'];
};

const ENCODINGS_HELP = 'gzip, gzip:1..gzip:9, zstd or zstd:1..zstd:19';

/**
 * [client] compression: `off`, or encodings preferred first (`zstd gzip:1`). zstd where this
 * runtime lacks it is a mistake here, not a silent fallback.
 */
const encodingList: ValueReader<Encoding[]> = (t) => {
  const tokens = t.split(/[\s,]+/).filter((w) => w !== '');
  if (tokens.length === 1 && tokens[0] === 'off') return [];
  if (tokens.length === 0) throw new ValueError(`must be off or encodings (${ENCODINGS_HELP})`);
  return tokens.map((token) => {
    const enc = parseEncoding(token);
    if (!enc) throw new ValueError(`'${token}' is not an encoding: use off, ${ENCODINGS_HELP}`);
    if (!runtimeHas(enc.codec)) {
      throw new ValueError(`'${token}': this Node.js ${process.version} has no zstd in zlib (it needs >= 22.15 or 23.8): use gzip or gzip:1..gzip:9`);
    }
    return enc;
  });
};

/** Every key the file may set, one line each. */
export const CONFIG_KEYS: readonly ConfigKey[] = [
  key('backup', 'tool', 'tool', oneOf(['mariabackup', 'xtrabackup', 'innobackupex'] as const)),
  key('backup', 'tool_path', 'toolPath', path(true)),
  key('backup', 'defaults_file', 'defaultsFile', path(true)),
  key('backup', 'socket', 'socket', path(true)),
  key('backup', 'host', 'host', text),
  key('backup', 'port', 'port', optional(whole(1, 65535))),
  key('backup', 'datadir', 'datadir', path(true)),
  key('backup', 'extra_options', 'extraOptions', words),
  key('backup', 'extra_lsndir', 'extraLsndir', path(true)),
  key('backup', 'credentials_file', 'credentialsFile', path(true)),
  key('backup', 'tmp_dir', 'tmpDir', path(false)),
  key('state', 'dir', 'dir', path(false)),
  key('state', 'max_age', 'maxAge', whole(1, 7 * 24 * 3600)),
  key('server', 'port', 'port', whole(1, 65535)),
  key('server', 'allowed_roots', 'allowedRoots', rootList),
  key('server', 'plugin_dir', 'pluginDir', path(false)),
  key('server', 'accept_legacy', 'acceptLegacy', bool),
  key('server', 'idle_timeout', 'idleTimeout', whole(1, 86400)),
  key('server', 'header_timeout', 'headerTimeout', whole(1, 3600)),
  key('server', 'allowed_clients', 'allowedClients', parseCidrList),
  key('server', 'request_timeout', 'requestTimeout', whole(1, 30 * 86400)),
  key('server', 'copy_between_hosts', 'copyBetweenHosts', list),
  key('server', 'snapshot_plugin', 'snapshotPlugin', path(true)),
  key('server', 'stall_timeout', 'stallTimeout', whole(1, 86400)),
  key('server', 'max_v2_version', 'maxV2Version', oneOf(['2.0', '2.1', '2.2'] as const)),
  key('server', 'compression', 'compression', bool),
  key('client', 'protocol', 'protocol', oneOf(['auto', 'v2', 'legacy'] as const)),
  key('client', 'compression', 'compression', encodingList),
  key('client', 'connect_timeout', 'connectTimeout', whole(1, 3600)),
  key('client', 'idle_timeout', 'idleTimeout', whole(1, 86400)),
  key('client', 'stall_timeout', 'stallTimeout', whole(1, 86400)),
  key('client', 'prepare', 'prepare', bool),
  key('client', 'max_file_size', 'maxFileSize', (t) => parseByteSize(t, 1n << 20n, 1n << 60n)),
  key('log', 'server_log', 'serverLog', path(false)),
  key('log', 'tool_log', 'toolLog', path(false)),
  key('log', 'level', 'level', oneOf(['error', 'warn', 'info', 'debug'] as const)),
  key('auth', 'secret_file', 'secretFile', path(true)),
  key('tls', 'cert', 'cert', path(true)),
  key('tls', 'key', 'key', path(true)),
  key('tls', 'ca', 'ca', path(true)),
  key('tls', 'server_name', 'serverName', text),
];

const SECTIONS = [...new Set(CONFIG_KEYS.map((k) => k.section))];

function unknownSectionProblem(h: SectionHeader): ConfigProblem {
  const near = nearestName(h.name, SECTIONS);
  return { file: h.file, line: h.line, message: `unknown section [${h.name}]${near ? ` (did you mean [${near}]?)` : ` (known: ${SECTIONS.join(', ')})`}` };
}

function unknownKeyProblem(e: ConfigEntry): ConfigProblem {
  const where = { file: e.file, line: e.line, section: e.section };
  const elsewhere = CONFIG_KEYS.find((k) => k.key === e.key);
  if (elsewhere) return { ...where, message: `unknown key '${e.key}' here: it belongs in [${elsewhere.section}]` };
  const near = nearestName(e.key, CONFIG_KEYS.filter((k) => k.section === e.section).map((k) => k.key));
  return { ...where, message: `unknown key '${e.key}'${near ? ` (did you mean '${near}'?)` : ''}` };
}

/**
 * Applies entries in order over the defaults (a later file's key wins). Every entry is checked,
 * so one run reports every mistake; an unknown section is reported at its header, not key by key.
 */
function buildConfig(entries: readonly ConfigEntry[], problems: ConfigProblem[]): { config: AppConfig; serverLog: string | undefined } {
  const config = structuredClone(DEFAULT_CONFIG);
  const sections = config as unknown as Record<string, Record<string, unknown>>;
  let serverLog: string | undefined;
  for (const e of entries) {
    if (!SECTIONS.includes(e.section)) continue;
    const spec = CONFIG_KEYS.find((k) => k.section === e.section && k.key === e.key);
    if (!spec) {
      problems.push(unknownKeyProblem(e));
      continue;
    }
    try {
      const value = spec.read(e.value);
      (sections[spec.section] as Record<string, unknown>)[spec.field] = value;
      if (spec.section === 'log' && spec.key === 'server_log') serverLog = value as string;
    } catch (err) {
      if (!(err instanceof ValueError)) throw err;
      problems.push({ file: e.file, line: e.line, section: e.section, message: `${e.key} ${err.message}` });
    }
  }
  // 'auto' in allowed_roots is a flag, not a path; without the key, the default (auto) stays.
  if (entries.some((e) => e.section === 'server' && e.key === 'allowed_roots')) {
    const roots = config.server.allowedRoots;
    config.server.allowedRootsAuto = roots.includes('auto');
    config.server.allowedRoots = roots.filter((r) => r !== 'auto');
  }
  // The default state directory may be replaced by a fallback; a configured one never is.
  config.state.dirConfigured = entries.some((e) => e.section === 'state' && e.key === 'dir');
  return { config, serverLog };
}

function configFrom(lines: IniLines, files: readonly string[] = []): AppConfig {
  const problems = [...lines.problems, ...lines.headers.filter((h) => !SECTIONS.includes(h.name)).map(unknownSectionProblem)];
  const { config, serverLog } = buildConfig(lines.entries, problems);
  try {
    checkTlsSection(config.tls);
  } catch (err) {
    // Keys that only make sense together: reported at the section's last key.
    const last = [...lines.entries].reverse().find((e) => e.section === 'tls');
    problems.push({ file: last?.file ?? files[0] ?? 'config', line: last?.line, section: 'tls', message: errorMessage(err) });
  }
  // Reported in the order of the files and their lines, whatever check found them.
  const order = (p: ConfigProblem) => [files.indexOf(p.file), p.line ?? 0] as const;
  problems.sort((a, b) => order(a)[0] - order(b)[0] || order(a)[1] - order(b)[1]);
  if (problems.length > 0) throw new ConfigError(problems, { serverLog });
  return config;
}

/** The settings in `text` (one file, no drop-ins); `name` is what errors call the file. */
export function parseAppConfig(text: string, name = 'config'): AppConfig {
  return configFrom(parseIniLines(text, name));
}

/** Settings given as sections of strings (as an ini parser would give them), for programs and tests. */
export function appConfigFrom(raw: Record<string, Record<string, unknown>>, name = 'settings'): AppConfig {
  const lines: IniLines = { entries: [], headers: [], problems: [] };
  for (const [section, keys] of Object.entries(raw)) {
    lines.headers.push({ file: name, line: 0, name: section });
    for (const [k, v] of Object.entries(keys ?? {})) {
      if (v === undefined || v === null) continue;
      if (typeof v === 'object') lines.problems.push({ file: name, section, message: `${k} must be a single value` });
      else lines.entries.push({ file: name, line: 0, section, key: k, value: String(v).trim() });
    }
  }
  return configFrom(lines);
}

function readOptional(path: string, mustExist: boolean): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    if (!mustExist && (err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ConfigReadError(path, err as Error);
  }
}

/** `FILE.d/*.conf` in lexical order: drop-ins (e.g. Ansible's) that override the packaged file. */
function dropIns(path: string): string[] {
  let names: string[];
  try {
    names = readdirSync(`${path}.d`);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    // Overrides that cannot be read must not be silently left out.
    throw new ConfigReadError(`${path}.d`, err as Error);
  }
  return names
    .filter((n) => n.endsWith('.conf') && !n.startsWith('.'))
    .sort()
    .map((n) => join(`${path}.d`, n));
}

/** Which file --config / $ZRM_INNOBACKUPEX_CONF / the default names, and whether it was named. */
export function configPathOf(explicitPath: string | undefined, env: NodeJS.ProcessEnv, defaultPath = DEFAULT_CONFIG_PATH): { path: string; named: boolean } {
  // An empty variable is an unset one, not a file named ''.
  const named = explicitPath ?? (env[CONFIG_ENV] || undefined);
  return { path: named ?? defaultPath, named: named !== undefined };
}

/** The settings and every file they were read from (the main file only when it exists). */
export function readAppConfig(
  explicitPath: string | undefined,
  env: NodeJS.ProcessEnv,
  defaultPath = DEFAULT_CONFIG_PATH,
): { config: AppConfig; files: string[] } {
  const { path, named } = configPathOf(explicitPath, env, defaultPath);
  const files: string[] = [];
  const all: IniLines = { entries: [], headers: [], problems: [] };
  const main = readOptional(path, named);
  const texts: Array<[string, string]> = main === undefined ? [] : [[path, main]];
  for (const file of dropIns(path)) texts.push([file, readOptional(file, true) ?? '']);
  for (const [file, content] of texts) {
    files.push(file);
    const parsed = parseIniLines(content, file);
    all.entries.push(...parsed.entries);
    all.headers.push(...parsed.headers);
    all.problems.push(...parsed.problems);
  }
  return { config: configFrom(all, files), files };
}

/**
 * Loads the config named by --config, else $ZRM_INNOBACKUPEX_CONF, else `defaultPath`, then
 * its drop-ins. A missing default file means "all defaults"; a missing file the user named is
 * an error, and so is every unknown key, malformed line and bad value (ConfigError).
 */
export function loadAppConfig(explicitPath: string | undefined, env: NodeJS.ProcessEnv, defaultPath = DEFAULT_CONFIG_PATH): AppConfig {
  return readAppConfig(explicitPath, env, defaultPath).config;
}
