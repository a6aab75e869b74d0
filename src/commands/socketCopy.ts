import { runCopyPlugin } from '../client/index.js';
import { loadAppConfig } from '../config/appConfig.js';
import { createLogger, flushLogger } from '../logging/logger.js';

/** `socket-copy.palomino.pl ARGS` / `zrm-innobackupex socket-copy ARGS`. */
export async function socketCopyCommand(argv: string[], configPath?: string): Promise<number> {
  const config = loadAppConfig(configPath, process.env);
  const logger = createLogger({ file: config.log.serverLog, level: config.log.level, label: 'socket-copy' });
  try {
    return await runCopyPlugin(argv, { env: process.env, config, logger, stdout: process.stdout, stderr: process.stderr });
  } finally {
    await flushLogger(logger);
  }
}
