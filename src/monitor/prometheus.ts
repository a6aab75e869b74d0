import { rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { HistoryRecord } from './record.js';
import { lastVerified, latestByKey } from './summary.js';

// node_exporter's textfile collector format (Prometheus exposition text 0.0.4): one HELP and
// TYPE per metric, label values escaped. Written to a temporary file beside the target and
// renamed over it, so the collector never reads half a file.

const PREFIX = 'zrm_innobackupex_';

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(l: Record<string, string>): string {
  return `{${Object.entries(l).map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

const seconds = (iso: string) => Math.round(Date.parse(iso) / 1000);

interface Metric {
  name: string;
  help: string;
  samples: Array<[Record<string, string>, number]>;
}

export function prometheusText(records: readonly HistoryRecord[]): string {
  const metric = (name: string, help: string): Metric => ({ name: `${PREFIX}${name}`, help, samples: [] });
  const lastSuccess = metric('last_success_timestamp_seconds', 'End of the last successful run, Unix time.');
  const lastRun = metric('last_run_timestamp_seconds', 'End of the last run, successful or not, Unix time.');
  const lastOk = metric('last_run_success', '1 if the last run succeeded, 0 if it failed.');
  const lastDuration = metric('last_run_duration_seconds', 'Duration of the last run.');
  const lastBytes = metric('last_run_bytes', 'Bytes moved by the last run.');
  const verified = metric('last_verified_backup_timestamp_seconds', 'When the newest backup that verify restored was taken, Unix time.');
  const verifyRan = metric('last_verify_timestamp_seconds', 'End of the last passing verify, Unix time.');
  for (const e of latestByKey(records)) {
    const l = { kind: e.kind, action: e.action, backup_set: e.set };
    lastRun.samples.push([l, seconds(e.lastRun.end)]);
    lastOk.samples.push([l, e.lastRun.ok ? 1 : 0]);
    lastDuration.samples.push([l, e.lastRun.seconds]);
    if (e.lastRun.bytes !== undefined) lastBytes.samples.push([l, e.lastRun.bytes]);
    if (e.lastSuccess) lastSuccess.samples.push([l, seconds(e.lastSuccess.end)]);
  }
  for (const v of lastVerified(records)) {
    verified.samples.push([{ backup_set: v.set }, Math.round(v.backupTime / 1000)]);
    verifyRan.samples.push([{ backup_set: v.set }, seconds(v.record.end)]);
  }
  const out: string[] = [];
  for (const m of [lastSuccess, lastRun, lastOk, lastDuration, lastBytes, verified, verifyRan]) {
    out.push(`# HELP ${m.name} ${m.help}`, `# TYPE ${m.name} gauge`);
    for (const [l, v] of m.samples) out.push(`${m.name}${labels(l)} ${v}`);
  }
  return `${out.join('\n')}\n`;
}

/** Writes `text` to `file` through a temporary file in the same directory and a rename. */
export async function writeAtomically(file: string, text: string): Promise<void> {
  const tmp = join(dirname(file), `.${basename(file)}.${process.pid}.tmp`);
  try {
    await writeFile(tmp, text, { mode: 0o644 });
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}
