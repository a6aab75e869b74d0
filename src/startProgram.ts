import { ExitError } from './errors.js';
import { quietStdout } from './commands/io.js';
import { isServerMode, pluginModeOf } from './commands/pluginNames.js';
import { logCrash } from './server/crashLog.js';

/**
 * Runs `main` as this process's program (main.ts, pluginMain.ts): its result is the exit status.
 * Never process.exit() on a normal path: pending writes to the client's socket would be cut
 * off. The exit status is set and Node exits once the socket and the log files are flushed.
 */
export function startProgram(main: (argv: string[]) => Promise<number>): void {
  const serverMode = isServerMode(process.argv);
  if (serverMode) {
    // Under xinetd stderr is the client's socket: no Node warning may ever reach it.
    process.removeAllListeners('warning');
    process.on('warning', () => undefined);
    // Log it, then end: after an uncaught exception nothing the process holds can be trusted.
    process.on('uncaughtException', (err) => {
      logCrash(err);
      process.exit(1);
    });
  } else if (pluginModeOf(process.argv[1]) === undefined) {
    // The CLI writes to process.stdout in many places. A plugin takes it through its CommandIo
    // (quiet there too), and only when it writes through the stream: see writeOut.
    quietStdout();
  }
  main(process.argv).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.exitCode = err instanceof ExitError ? err.exitCode : 1;
      if (!serverMode) process.stderr.write(`zrm-innobackupex: ${err instanceof Error ? err.message : String(err)}\n`);
    },
  );
}
