import { loadAppConfig } from '../config/appConfig.js';
import { peerMemoryDir, peerMemoryIn } from '../client/peerMemory.js';
import { ExitCode, ExitError } from '../errors.js';
import { createLogger, flushLogger } from '../logging/logger.js';
import { runDirectBackup } from '../direct/backup.js';
import { loadCredentials } from '../direct/credentials.js';
import { NO_PROGRESS, progressOn } from '../direct/progress.js';
import { describeSummary, summarise } from '../direct/summary.js';
import { processIo, type CommandIo } from './io.js';

export interface BackupCommandOptions {
  host: string;
  port?: string;
  target: string;
  json?: boolean;
  prepare?: boolean;
  /** A MySQL option file with the database account; default [backup] credentials_file. */
  credentials?: string;
  /** A 1.8b5 server's bin path (where it runs innobackupex-1.5.1). */
  remoteBinpath?: string;
}

function portOf(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new ExitError(`--port '${text}' is not a port number`, ExitCode.usage);
  return n;
}

/** `zrm-innobackupex backup --host DB --target DIR`: exit status from EXIT_STATUSES. */
export async function backupCommand(opts: BackupCommandOptions, configPath?: string, io: CommandIo = processIo()): Promise<number> {
  const startedMs = Date.now();
  const config = loadAppConfig(configPath, io.env);
  const logger = createLogger({ file: config.log.serverLog, level: config.log.level, label: 'backup' });
  let summary;
  try {
    const file = opts.credentials ?? config.backup.credentialsFile;
    if (!file) throw new ExitError('no database account: give --credentials FILE (a MySQL option file, mode 600) or set [backup] credentials_file', ExitCode.usage);
    const credentials = await loadCredentials(file, opts.credentials ? '--credentials' : '[backup] credentials_file');
    const memory = peerMemoryIn(peerMemoryDir(config.state.dir, config.state.dirConfigured), logger);
    const progress = opts.json ? NO_PROGRESS : progressOn(io.stderr);
    // Ctrl-C or a TERM must not leave the database host armed: the run stops, disarms, and
    // ends; only a second signal kills it outright.
    const abort = new AbortController();
    const onSignal = (): void => abort.abort();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const result = await runDirectBackup(
        { host: opts.host, port: portOf(opts.port), target: opts.target, prepare: opts.prepare ?? false, credentials, remoteBinpath: opts.remoteBinpath },
        { config, logger, memory, progress, signal: abort.signal },
      );
      summary = summarise(opts.host, startedMs, Date.now(), { result });
    } finally {
      process.removeListener('SIGINT', onSignal);
      process.removeListener('SIGTERM', onSignal);
    }
  } catch (err) {
    logger.error(`direct backup of ${opts.host} FAILED: ${(err as Error).message}`);
    summary = summarise(opts.host, startedMs, Date.now(), { error: err });
  } finally {
    await flushLogger(logger);
  }
  // A failure is said on stderr also with --json (cron mails it); stdout stays one JSON document.
  if (summary.outcome === 'failed') io.stderr.write(`zrm-innobackupex: ${describeSummary(summary)}`);
  if (opts.json) io.stdout.write(`${JSON.stringify(summary, null, 2)}\n`);
  else if (summary.outcome !== 'failed') io.stdout.write(describeSummary(summary));
  return summary.exitCode;
}
