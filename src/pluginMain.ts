import { processIo } from './commands/io.js';
import { pluginModeOf } from './commands/pluginNames.js';
import { runCallPlugin } from './commands/zrmPlugins.js';
import { ExitCode, ExitError } from './errors.js';
import { reportFailure } from './commands/reportFailure.js';
import { startProgram } from './startProgram.js';

// The plugins' program: what the packaged launcher runs when ZRM calls inno-snapshot.pl or
// socket-copy.palomino.pl (scripts/bundle.mjs makes it a bundle of its own). The same code the
// whole program (main.ts) runs for those names, without the CLI, commander, winston and the
// server: less than half the code for V8 to load on each of ZRM's calls. A person's --help
// goes to the whole program (commander writes it).
startProgram(async (argv) => {
  const io = processIo();
  try {
    const mode = pluginModeOf(argv[1]);
    if (mode === undefined || mode === 'socket-server') {
      throw new ExitError(`this program runs only as inno-snapshot.pl or socket-copy.palomino.pl, not as ${argv[1] ?? '?'}`, ExitCode.usage);
    }
    return await runCallPlugin(mode, argv.slice(2), undefined, io);
  } catch (err) {
    return reportFailure(err, argv, io);
  }
});
