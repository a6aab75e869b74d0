import { loadAppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import { createLogger } from '../logging/logger.js';
import { recordVerify } from '../monitor/recorders.js';
import { ExitCode } from '../errors.js';
import { formatReport } from '../verify/report.js';
import { verifyBackup } from '../verify/verify.js';

export interface VerifyCommandOptions {
  scratch?: string;
  json?: boolean;
}

/** `zrm-innobackupex verify DIR`: would this backup come back? Non-zero exit when not. */
export async function verifyCommand(path: string, opts: VerifyCommandOptions, configPath?: string): Promise<number> {
  const config = loadAppConfig(configPath, process.env);
  const startedAt = Date.now();
  const report = await verifyBackup(path, config, {
    scratchRoot: opts.scratch ?? config.backup.tmpDir,
    ...(opts.json ? {} : { say: (line: string) => process.stderr.write(`${line}\n`) }),
  });
  const exitCode = (report as { exitCode?: number }).exitCode;
  delete (report as { exitCode?: number }).exitCode;
  await recordVerify({ startedAt, stateDir: withUsableStateDir(config).state.dir, createStateDir: config.state.dirConfigured, report, logger: createLogger({ console: true, label: 'verify' }) });
  process.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatReport(report));
  return report.ok ? 0 : (exitCode ?? ExitCode.integrity);
}
