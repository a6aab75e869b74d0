import type { Command } from 'commander';
import { pluginModeOf, type PluginMode } from './commands/pluginNames.js';
import { registerRestoreCommands } from './commands/restoreCli.js';
import { VERSION } from './version.js';

// Each command is imported only when it runs: ZRM starts a plugin about 16 times a backup, and a
// plugin should not pay for compiling and loading what another plugin (or commander) needs.
async function runPlugin(mode: PluginMode, args: string[], configPath?: string): Promise<number> {
  switch (mode) {
    case 'snapshot': return (await import('./commands/snapshot.js')).snapshotCommand(args, configPath);
    case 'socket-copy': return (await import('./commands/socketCopy.js')).socketCopyCommand(args, configPath);
    case 'socket-server': return (await import('./commands/socketServer.js')).socketServerCommand(configPath);
  }
}

async function statusCommand(configPath?: string): Promise<number> {
  return (await import('./commands/status.js')).statusCommand(configPath);
}

function buildProgram(Command: typeof import('commander').Command, result: { run?: () => Promise<number> }): Command {
  const program = new Command('zrm-innobackupex')
    .description('Hot backups with mariabackup / xtrabackup / innobackupex behind MySQL ZRM')
    .version(VERSION, '-V, --version')
    .option('-c, --config <file>', 'settings file (default: $ZRM_INNOBACKUPEX_CONF or /etc/mysql-zrm/innobackupex.conf)')
    .enablePositionalOptions()
    .exitOverride();
  const configPath = (): string | undefined => program.opts<{ config?: string }>().config;
  const plugin = (name: string, mode: PluginMode, summary: string): void => {
    program
      .command(name)
      .description(summary)
      .argument('[args...]', 'the plugin\'s own arguments, as ZRM passes them')
      .allowUnknownOption()
      .helpOption(false)
      .passThroughOptions()
      .action((args: string[]) => {
        result.run = () => runPlugin(mode, args, configPath());
      });
  };
  plugin('snapshot', 'snapshot', 'the snapshot plugin (inno-snapshot.pl)');
  plugin('socket-copy', 'socket-copy', 'the copy plugin (socket-copy.palomino.pl)');
  program
    .command('socket-server')
    .description('serve one connection on stdin/stdout (socket-server.palomino.pl, run by xinetd or systemd)')
    .action(() => {
      result.run = () => runPlugin('socket-server', [], configPath());
    });
  program
    .command('status')
    .description('show the effective settings and whether a backup redirect is armed')
    .action(() => {
      result.run = () => statusCommand(configPath());
    });
  registerRestoreCommands(program, configPath, (run) => (result.run = run));
  return program;
}

/** Runs the CLI, or the plugin named by argv[1]'s file name; resolves to the exit status. */
export async function main(argv: string[]): Promise<number> {
  const mode = pluginModeOf(argv[1]);
  if (mode) return runPlugin(mode, argv.slice(2));
  const result: { run?: () => Promise<number> } = {};
  const { Command, CommanderError } = await import('commander');
  try {
    await buildProgram(Command, result).parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode;
    throw err;
  }
  return result.run ? result.run() : 0;
}

/** True when this process serves a connection: then stdout and stderr belong to the client. */
export function isServerMode(argv: string[]): boolean {
  return pluginModeOf(argv[1]) === 'socket-server' || argv.slice(2).includes('socket-server');
}
