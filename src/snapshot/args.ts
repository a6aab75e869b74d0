import { ExitCode, ExitError } from '../errors.js';

// The snapshot plugin's command line, as ZRM and the socket server pass it (PROTOCOL.md §2).
// Parsed by hand: the plugin must never print commander's help or accept options ZRM does not send.

const SNAPSHOT_ACTIONS = [
  'get-vm-device-details',
  'create-snapshot',
  'mount',
  'umount',
  'remove-snapshot',
] as const;
export type SnapshotAction = (typeof SNAPSHOT_ACTIONS)[number];

const SNAPSHOT_OPTIONS = ['action', 'directory', 'host', 'sname', 'dev', 'fstype', 'size'] as const;
export type SnapshotOption = (typeof SNAPSHOT_OPTIONS)[number];

/** Options an action cannot do without (beyond --action). */
const REQUIRED: Record<SnapshotAction, readonly SnapshotOption[]> = {
  'get-vm-device-details': ['directory'],
  'create-snapshot': [],
  mount: [],
  umount: [],
  'remove-snapshot': [],
};

export interface SnapshotArgs {
  action: SnapshotAction;
  /** Every option given, --action included, in the order first seen (a repeated option keeps the last value). */
  options: ReadonlyMap<SnapshotOption, string>;
}

function usage(message: string): ExitError {
  return new ExitError(message, ExitCode.usage);
}

function isOption(name: string): name is SnapshotOption {
  return (SNAPSHOT_OPTIONS as readonly string[]).includes(name);
}

function isAction(name: string): name is SnapshotAction {
  return (SNAPSHOT_ACTIONS as readonly string[]).includes(name);
}

/** Parses `--opt value` / `--opt=value` arguments; throws ExitError on anything else. */
export function parseSnapshotArgs(argv: readonly string[]): SnapshotArgs {
  const options = new Map<SnapshotOption, string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    // The socket server splits ZRM's parameter string, which ends with a space.
    if (arg === '') continue;
    if (!arg.startsWith('--')) throw usage(`unexpected argument '${arg}'`);
    const eq = arg.indexOf('=');
    const name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
    if (!isOption(name)) throw usage(`unknown option '--${name}'`);
    let value: string;
    if (eq >= 0) {
      value = arg.slice(eq + 1);
    } else {
      const next = argv[i + 1];
      if (next === undefined) throw usage(`option '--${name}' needs a value`);
      value = next;
      i++;
    }
    options.set(name, value);
  }
  const action = options.get('action');
  if (action === undefined || action === '') throw usage('missing required option --action');
  if (!isAction(action)) throw usage(`unknown action '${action}' (expected one of ${SNAPSHOT_ACTIONS.join(', ')})`);
  for (const req of REQUIRED[action]) {
    const v = options.get(req);
    if (v === undefined || v === '') throw usage(`action ${action} needs --${req}`);
  }
  return { action, options };
}

/**
 * The --snapshot-parameters value for the copy plugin: every option but --host as --k=v, each
 * followed by a space (as ZRM's SnapshotCommon builds it). The far end splits it at whitespace,
 * so a value containing whitespace cannot travel and is refused rather than cut in two.
 */
export function forwardedParameters(args: SnapshotArgs): string {
  let out = '';
  for (const [name, value] of args.options) {
    if (name === 'host') continue;
    if (/\s/.test(value)) throw usage(`cannot forward --${name}: its value contains whitespace`);
    out += `--${name}=${value} `;
  }
  return out;
}

/** One-line summary of the options for the log (none of them is a secret). */
export function describeArgs(args: SnapshotArgs): string {
  return [...args.options].map(([k, v]) => `--${k}=${v}`).join(' ');
}
