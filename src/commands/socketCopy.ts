import { runCopyPlugin } from '../client/index.js';
import { loadAppConfig } from '../config/appConfig.js';
import { createPlainLogger } from '../logging/plainLogger.js';
import { processIo, type CommandIo } from './io.js';
import { exitOnSignals } from '../process/exitOnSignals.js';

/** `socket-copy.palomino.pl ARGS` / `zrm-innobackupex socket-copy ARGS`. */
export async function socketCopyCommand(argv: string[], configPath?: string, io: CommandIo = processIo()): Promise<number> {
  const config = loadAppConfig(configPath, io.env);
  // ZRM's timeout or a Ctrl-C: the 'exit' hooks remove a half-received stream.
  exitOnSignals();
  const logger = createPlainLogger({ file: config.log.serverLog, level: config.log.level, label: 'socket-copy' });
  try {
    return await runCopyPlugin(argv, { env: io.env, config, logger, stdout: io.stdout, stderr: io.stderr });
  } finally {
    await logger.flush();
  }
}
