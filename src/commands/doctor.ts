import { loadAppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import { createLogger, flushLogger } from '../logging/logger.js';
import { formatTable, runDoctor } from '../doctor/doctor.js';
import { hostDeps } from '../doctor/hostDeps.js';
import { processIo, type CommandIo } from './io.js';

export interface DoctorCommandOptions {
  host?: string;
  port?: string;
  json?: boolean;
  /** An option file with the database account to test; default [backup] credentials_file. */
  credentials?: string;
}

/** `zrm-innobackupex doctor [--host DB] [--json]`: exit 1 when any check fails. */
export async function doctorCommand(opts: DoctorCommandOptions, configPath?: string, io: CommandIo = processIo()): Promise<number> {
  const config = loadAppConfig(configPath, io.env);
  const port = opts.port === undefined ? undefined : Number(opts.port);
  if (port !== undefined && (!Number.isInteger(port) || port < 1 || port > 65535)) throw new ExitError(`--port '${opts.port}' is not a port number`, ExitCode.usage);
  // The doctor's own requests go to no log of the server's: a quiet logger.
  const logger = createLogger({ level: 'error' });
  try {
    const results = await runDoctor({ host: opts.host, port }, hostDeps(config, logger, opts.credentials ?? config.backup.credentialsFile));
    const ok = results.every((r) => r.status !== 'fail');
    io.stdout.write(opts.json ? `${JSON.stringify({ ok, checks: results }, null, 2)}\n` : formatTable(results));
    return ok ? ExitCode.ok : ExitCode.failure;
  } finally {
    await flushLogger(logger);
  }
}
