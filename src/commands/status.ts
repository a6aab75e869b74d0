import { errorMessage, ExitCode, ExitError } from '../errors.js';
import { loadAppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import { withDatabaseRoots } from '../config/databaseRoots.js';
import { createLogger } from '../logging/logger.js';
import { writeAll } from '../protocol/io.js';
import { readArmedState } from '../snapshot/state.js';
import { historyTable, verifiedLines } from '../monitor/historyTable.js';
import { prometheusText, writeAtomically } from '../monitor/prometheus.js';
import type { HistoryRecord } from '../monitor/record.js';
import { readHistory } from '../monitor/store.js';
import { lastVerified, latestByKey } from '../monitor/summary.js';
import { processIo, type CommandIo } from './io.js';

export interface StatusOptions {
  /** Print everything as one JSON object. */
  json?: boolean;
  /** Write the node_exporter textfile here (atomically). */
  prometheus?: string;
  /** How many recent runs to show (default 20). */
  last?: string | number;
}

/**
 * `zrm-innobackupex status`: the effective settings, whether a backup redirect is armed, and the
 * run history (recent runs, last verified backup per set); `--json`, `--prometheus FILE`.
 */
export async function statusCommand(configPath?: string, io: CommandIo = processIo(), opts: StatusOptions = {}): Promise<number> {
  const last = Number(opts.last ?? 20);
  if (!Number.isInteger(last) || last < 1) throw new ExitError(`--last '${opts.last}' is not a whole number of 1 or more`, ExitCode.usage);
  const config = await withDatabaseRoots(withUsableStateDir(loadAppConfig(configPath, io.env)));
  const logger = createLogger({ console: false });
  // The state belongs to the user the server runs as (mysql): root may only be told so.
  const armed = await readArmedState(config.state.dir, config.state.maxAge, logger).then(
    (a) => ({ line: a ? `yes, since ${a.armedAt.toISOString()} for user ${a.user}` : 'no', armed: a ? { since: a.armedAt.toISOString(), user: a.user } : null }),
    (err: unknown) => ({ line: `unknown (${errorMessage(err)})`, armed: undefined }),
  );
  let records: HistoryRecord[] = [];
  let historyError: string | undefined;
  try {
    records = await readHistory(config.state.dir);
  } catch (err) {
    historyError = errorMessage(err);
  }
  if (opts.prometheus !== undefined) {
    // A textfile that silently stops changing looks like a healthy one: fail loudly instead.
    if (historyError) throw new ExitError(historyError);
    await writeAtomically(opts.prometheus, prometheusText(records));
  }
  const recent = records.slice(-last);
  if (opts.json) {
    const settings = {
      backupTool: config.backup.tool,
      toolPath: config.backup.toolPath || `/usr/bin/${config.backup.tool}`,
      stateDir: config.state.dir,
      redirectArmed: armed.armed,
      serverPort: config.server.port,
      allowedRoots: config.server.allowedRoots,
      allowedClients: config.server.allowedClients,
      clientProtocol: config.client.protocol,
      clientCompression: config.client.compression.map((e) => e.token),
      serverCompression: config.server.compression,
      serverLog: config.log.serverLog,
      toolLog: config.log.toolLog,
    };
    const latest = latestByKey(records).map((e) => ({ kind: e.kind, action: e.action, set: e.set, lastRun: e.lastRun, lastSuccess: e.lastSuccess ?? null }));
    const verified = lastVerified(records).map((v) => ({ set: v.set, backupTime: new Date(v.backupTime).toISOString(), verify: v.record }));
    const doc = { settings, history: { error: historyError ?? null, recent: [...recent].reverse(), latest, verified } };
    await writeAll(io.stdout, `${JSON.stringify(doc, null, 2)}\n`);
    return 0;
  }
  const lines = [
    `backup tool:     ${config.backup.tool} (${config.backup.toolPath || `/usr/bin/${config.backup.tool}`})`,
    `state dir:       ${config.state.dir} (max age ${config.state.maxAge}s)`,
    `redirect armed:  ${armed.line}`,
    `server port:     ${config.server.port}`,
    `allowed roots:   ${config.server.allowedRoots.join(' ')}${config.server.allowedRootsAuto ? ' (auto)' : ''}`,
    `allowed clients: ${config.server.allowedClients.join(' ')}`,
    `authentication:  ${config.auth.secretFile ? `shared secret ${config.auth.secretFile}` : 'none'}${config.tls.cert ? `, TLS (ca ${config.tls.ca})` : ''}`,
    `client protocol: ${config.client.protocol}, compression ${config.client.compression.map((e) => e.token).join(' ') || 'off'}`,
    `server log:      ${config.log.serverLog}`,
    `tool log:        ${config.log.toolLog}`,
  ];
  const history = historyError
    ? `\nrun history: unreadable (${historyError})\n`
    : `\nrecent runs (${recent.length} of ${records.length}, newest first):\n${historyTable(recent)}\nlast verified backup per set:\n${verifiedLines(lastVerified(records))}`;
  await writeAll(io.stdout, `${lines.join('\n')}\n${history}`);
  return 0;
}
