import { ExitCode, ExitError, errorMessage } from '../errors.js';
import type { CommandIo } from './io.js';
import { isServerMode } from './pluginNames.js';

/**
 * The exit status of a command that failed with `err` (the table in errors.ts), once its message
 * is on stderr, one `zrm-innobackupex: ` line per line; not in server mode, where stderr is the
 * client's socket.
 */
export function reportFailure(err: unknown, argv: string[], io: CommandIo): number {
  if (!isServerMode(argv)) {
    const lines = errorMessage(err).split('\n').map((l) => `zrm-innobackupex: ${l}\n`);
    io.stderr.write(lines.join(''));
  }
  return err instanceof ExitError ? err.exitCode : ExitCode.failure;
}
