import { parseArgs } from 'node:util';
import { loadAppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import { errorMessage } from '../errors.js';
import { writeAll } from '../protocol/io.js';
import { storedBackups, type StoredBackup } from '../monitor/destinations.js';
import { parseDuration } from '../monitor/duration.js';
import { evaluate, type CheckLimits } from '../monitor/evaluate.js';
import { stateCode, type CheckState } from '../monitor/nagios.js';
import { hasHistory, readHistory } from '../monitor/store.js';
import { processIo, type CommandIo } from './io.js';

// `zrm-innobackupex check`: a Nagios / Icinga plugin (Monitoring Plugins guidelines). One line on
// stdout, `INNOBACKUPEX <STATE> - text|perfdata`, and the exit status of its state: 0 OK,
// 1 WARNING, 2 CRITICAL, 3 UNKNOWN. Anything that stops it from judging (bad arguments, bad
// settings, a store or destination it cannot read) is UNKNOWN, never WARNING or CRITICAL.


class Unknown extends Error {}

const OPTIONS = {
  'max-age': { type: 'string' },
  'warning-age': { type: 'string' },
  'max-verified-age': { type: 'string' },
  'warning-verified-age': { type: 'string' },
  destination: { type: 'string', multiple: true },
  set: { type: 'string', multiple: true },
  config: { type: 'string', short: 'c' },
} as const;

function age(name: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = parseDuration(text);
  if (s === undefined) throw new Unknown(`--${name} '${text}' is not an age (e.g. 26h, 8d, 90m)`);
  return s;
}

function parse(args: string[]): { limits: CheckLimits; destinations: string[]; config?: string | undefined } {
  let values: ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: false; strict: true }>>['values'];
  try {
    ({ values } = parseArgs({ args, options: OPTIONS, allowPositionals: false, strict: true }));
  } catch (err) {
    throw new Unknown(errorMessage(err));
  }
  const limits: CheckLimits = {
    maxAge: age('max-age', values['max-age']) ?? 26 * 3600,
    warningAge: age('warning-age', values['warning-age']),
    maxVerifiedAge: age('max-verified-age', values['max-verified-age']),
    warningVerifiedAge: age('warning-verified-age', values['warning-verified-age']),
    sets: values.set ?? [],
  };
  if (limits.warningAge !== undefined && limits.warningAge >= limits.maxAge) throw new Unknown('--warning-age must be less than --max-age');
  if (limits.warningVerifiedAge !== undefined && limits.maxVerifiedAge !== undefined && limits.warningVerifiedAge >= limits.maxVerifiedAge) {
    throw new Unknown('--warning-verified-age must be less than --max-verified-age');
  }
  return { limits, destinations: values.destination ?? [], config: values.config };
}

async function judge(args: string[], configPath: string | undefined, env: NodeJS.ProcessEnv, now: number): Promise<{ state: CheckState; text: string; perfdata: string[] }> {
  const { limits, destinations, config: ownConfig } = parse(args);
  let stateDir: string;
  try {
    stateDir = withUsableStateDir(loadAppConfig(ownConfig ?? configPath, env)).state.dir;
  } catch (err) {
    throw new Unknown(errorMessage(err));
  }
  let records;
  try {
    records = await readHistory(stateDir);
  } catch (err) {
    throw new Unknown(errorMessage(err));
  }
  const stored: StoredBackup[] = [];
  for (const d of destinations) {
    try {
      stored.push(...(await storedBackups(d)));
    } catch (err) {
      throw new Unknown(errorMessage(err));
    }
  }
  if (destinations.length === 0 && !(await hasHistory(stateDir))) {
    throw new Unknown(`no run history in ${stateDir} (nothing recorded on this host yet, or the wrong [state] dir)`);
  }
  const v = evaluate(records, stored, limits, now);
  return { state: v.state, text: v.text, perfdata: v.perfdata };
}

export async function checkCommand(args: string[], configPath?: string, io: CommandIo = processIo(), now = Date.now()): Promise<number> {
  let verdict: { state: CheckState; text: string; perfdata: string[] };
  try {
    verdict = await judge(args, configPath, io.env, now);
  } catch (err) {
    verdict = { state: 'UNKNOWN', text: errorMessage(err), perfdata: [] };
  }
  // One line; '|' starts the perfdata, so none may appear in the text.
  const text = verdict.text.replace(/\s*\n\s*/g, ' ').replace(/\|/g, '/');
  const perf = verdict.perfdata.length > 0 ? `|${verdict.perfdata.join(' ')}` : '';
  await writeAll(io.stdout, `INNOBACKUPEX ${verdict.state} - ${text}${perf}\n`);
  return stateCode(verdict.state);
}
