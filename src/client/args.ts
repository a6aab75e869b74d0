import { ExitCode, ExitError } from '../errors.js';

// The copy plugin's argument forms (PROTOCOL.md §3), parsed into one tagged value each.

export type CopyRequest =
  | { form: 'copy'; sourceHost: string | undefined; sourceFile: string; destinationHost: string | undefined; destinationDirectory: string }
  | { form: 'create-link'; sourceFile: string; destinationHost: string; destinationDirectory: string }
  | { form: 'snapshot-command'; host: string; parameters: string }
  | { form: 'remove-backup-data'; backupDir: string; typeOfDir: string; backupId: string | undefined; host: string }
  | { form: 'mysqlhotcopy'; binpath: string | undefined; options: Map<string, string>; quiet: boolean; databases: string[]; destination: string };

const WITH_VALUE = new Set([
  'source-host', 'source-file', 'destination-host', 'destination-directory', 'snapshot-parameters',
  'host', 'backup-dir', 'type-of-dir', 'backup-id', 'user', 'password', 'port', 'socket',
]);
const FLAGS = new Set(['create-link', 'snapshot-command', 'quiet', 'mysqlhotcopy']);

// `copy between` requests spell the destination option the short way.
const ALIASES: Record<string, string> = { 'destination-dir': 'destination-directory' };
const canonical = (name: string): string => ALIASES[name] ?? name;

interface Parsed {
  opts: Map<string, string>;
  flags: Set<string>;
  positional: string[];
}

function usage(message: string): ExitError {
  return new ExitError(`socket-copy: ${message}`, ExitCode.usage);
}

function tokenize(argv: readonly string[]): Parsed {
  const opts = new Map<string, string>();
  const flags = new Set<string>();
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--') || arg === '--') {
      positional.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = canonical(eq < 0 ? arg.slice(2) : arg.slice(2, eq));
    if (FLAGS.has(name)) {
      flags.add(name);
      if (eq >= 0) opts.set(name, arg.slice(eq + 1));
    } else if (WITH_VALUE.has(name)) {
      if (eq >= 0) opts.set(name, arg.slice(eq + 1));
      else if (i + 1 < argv.length) opts.set(name, argv[++i] ?? '');
      else throw usage(`--${name} needs a value`);
    } else {
      throw usage(`unknown option --${name}`);
    }
  }
  return { opts, flags, positional };
}

function need(p: Parsed, name: string): string {
  const v = p.opts.get(name);
  if (v === undefined || v === '') throw usage(`--${name} is required here`);
  return v;
}

export function parseCopyArgs(argv: readonly string[]): CopyRequest {
  const p = tokenize(argv);
  if (p.positional[0] === 'remove-backup-data') {
    return {
      form: 'remove-backup-data',
      backupDir: need(p, 'backup-dir'),
      typeOfDir: p.opts.get('type-of-dir') ?? '',
      backupId: p.opts.get('backup-id'),
      host: need(p, 'host'),
    };
  }
  if (p.flags.has('mysqlhotcopy')) {
    const rest = [...p.positional];
    const destination = rest.pop();
    if (!destination || rest.length === 0) throw usage('--mysqlhotcopy needs database names and a destination directory');
    const options = new Map<string, string>();
    for (const k of ['host', 'user', 'password', 'port', 'socket']) {
      const v = p.opts.get(k);
      if (v !== undefined) options.set(k, v);
    }
    return { form: 'mysqlhotcopy', binpath: p.opts.get('mysqlhotcopy'), options, quiet: p.flags.has('quiet'), databases: rest, destination };
  }
  if (p.flags.has('snapshot-command')) {
    return { form: 'snapshot-command', host: need(p, 'host'), parameters: p.opts.get('snapshot-parameters') ?? '' };
  }
  if (p.flags.has('create-link')) {
    return {
      form: 'create-link',
      sourceFile: need(p, 'source-file'),
      destinationHost: need(p, 'destination-host'),
      destinationDirectory: p.opts.get('destination-directory') ?? '',
    };
  }
  if (p.positional.length > 0) throw usage(`unexpected argument '${p.positional[0]}'`);
  return {
    form: 'copy',
    sourceHost: p.opts.get('source-host'),
    sourceFile: need(p, 'source-file'),
    destinationHost: p.opts.get('destination-host'),
    destinationDirectory: need(p, 'destination-directory'),
  };
}

/** ZRM's rule: only 'localhost' (or no host) is local; 127.0.0.1 is another host. */
export function isLocalHost(host: string | undefined): boolean {
  return host === undefined || host === '' || host === 'localhost';
}
