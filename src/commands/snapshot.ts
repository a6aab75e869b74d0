import { loadAppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import { createLogger, flushLogger } from '../logging/logger.js';
import { runSnapshotPlugin } from '../snapshot/index.js';

/** `inno-snapshot.pl ARGS` / `zrm-innobackupex snapshot ARGS`. */
export async function snapshotCommand(argv: string[], configPath?: string): Promise<number> {
  const config = withUsableStateDir(loadAppConfig(configPath, process.env));
  const logger = createLogger({ file: config.log.serverLog, level: config.log.level, label: 'inno-snapshot' });
  try {
    return await runSnapshotPlugin(argv, { env: process.env, config, logger, stdout: process.stdout, stderr: process.stderr });
  } finally {
    await flushLogger(logger);
  }
}
