import { loadAppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import { ExitCode, ExitError, errorMessage } from '../errors.js';
import { createPlainLogger } from '../logging/plainLogger.js';
import { writeAll } from '../protocol/io.js';
import { runSnapshotPlugin } from '../snapshot/runSnapshotPlugin.js';
import { parseSnapshotArgs } from '../snapshot/args.js';
import { processIo, type CommandIo } from './io.js';

/** `inno-snapshot.pl ARGS` / `zrm-innobackupex snapshot ARGS`. */
export async function snapshotCommand(argv: string[], configPath?: string, io: CommandIo = processIo()): Promise<number> {
  const config = withUsableStateDir(loadAppConfig(configPath, io.env));
  const logger = createPlainLogger({ file: config.log.serverLog, level: config.log.level, label: 'inno-snapshot' });
  try {
    // Wrong arguments exit 2 here as in every other command (the plugin itself knows only 0 and 1).
    try {
      parseSnapshotArgs(argv);
    } catch (err) {
      if (!(err instanceof ExitError) || err.exitCode !== ExitCode.usage) throw err;
      logger.error(`snapshot arguments [${argv.join(' ')}]: ${errorMessage(err)}`);
      await writeAll(io.stderr, `inno-snapshot: ${errorMessage(err)}\n`);
      return ExitCode.usage;
    }
    // Getters: the process's streams are made only if this call writes through them.
    return await runSnapshotPlugin(argv, {
      env: io.env,
      config,
      logger,
      get stdout() {
        return io.stdout;
      },
      get stderr() {
        return io.stderr;
      },
      ...(io.stdoutFd === undefined ? {} : { stdoutFd: io.stdoutFd }),
    });
  } finally {
    await logger.flush();
  }
}
