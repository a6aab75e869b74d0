import { fstatSync } from 'node:fs';
import type { Command } from 'commander';
import { processIo, type CommandIo } from './commands/io.js';
import { PLUGIN_HELP } from './commands/pluginHelp.js';
import { pluginModeOf, type PluginMode } from './commands/pluginNames.js';
import { reportFailure } from './commands/reportFailure.js';
import { registerRestoreCommands } from './commands/restoreCli.js';
import { runCallPlugin } from './commands/zrmPlugins.js';
import { CHECK_HELP } from './commands/checkHelp.js';
import { ExitCode } from './errors.js';
import { VERSION } from './version.js';

const SUBCOMMAND: Record<PluginMode, string> = { snapshot: 'snapshot', 'socket-copy': 'socket-copy', 'socket-server': 'socket-server' };
const CONFIG_HELP = 'settings file (default: $ZRM_INNOBACKUPEX_CONF or /etc/mysql-zrm/innobackupex.conf)';
const HELP_ARGS = new Set(['--help', '-h']);

async function runPlugin(mode: PluginMode, args: string[], configPath: string | undefined, io: CommandIo): Promise<number> {
  if (mode === 'socket-server') return (await import('./commands/socketServer.js')).socketServerCommand(configPath);
  return runCallPlugin(mode, args, configPath, io);
}

/** `-c FILE`, `--config FILE` or `--config=FILE` in front of a plugin's own arguments. */
function leadingConfig(args: string[]): { configPath: string | undefined; rest: string[] } {
  const [first, second] = args;
  if ((first === '-c' || first === '--config') && second !== undefined) return { configPath: second, rest: args.slice(2) };
  if (first?.startsWith('--config=')) return { configPath: first.slice('--config='.length), rest: args.slice(1) };
  return { configPath: undefined, rest: args };
}

type Run = (io: CommandIo) => Promise<number>;

function buildProgram(Command: typeof import('commander').Command, io: CommandIo, result: { run?: Run; wroteOut?: boolean }): Command {
  const output = {
    writeOut: (s: string) => {
      result.wroteOut = true;
      io.stdout.write(s);
    },
    writeErr: (s: string) => io.stderr.write(s),
  };
  const program = new Command('zrm-innobackupex')
    .description('Hot backups with mariabackup / xtrabackup / innobackupex behind MySQL ZRM')
    .version(VERSION, '-V, --version')
    .option('-c, --config <file>', CONFIG_HELP)
    .enablePositionalOptions()
    .configureOutput(output)
    .exitOverride();
  // -c is taken before the subcommand (the program's) or after it (the subcommand's).
  const configOf = (cmd: Command): string | undefined =>
    cmd.opts<{ config?: string }>().config ?? program.opts<{ config?: string }>().config;
  const sub = (name: string, summary: string): Command =>
    program.command(name).description(summary).exitOverride().configureOutput(output);
  const plugin = (mode: PluginMode, summary: string): void => {
    sub(SUBCOMMAND[mode], summary)
      .argument('[args...]', 'the plugin\'s own arguments, as ZRM passes them')
      .allowUnknownOption()
      .passThroughOptions()
      .addHelpText('after', PLUGIN_HELP[mode])
      .action((args: string[], _opts: unknown, cmd: Command) => {
        const { configPath, rest } = leadingConfig(args);
        result.run = (io2) => runPlugin(mode, rest, configPath ?? configOf(cmd), io2);
      });
  };
  plugin('snapshot', 'the snapshot plugin (inno-snapshot.pl)');
  plugin('socket-copy', 'the copy plugin (socket-copy.palomino.pl)');
  sub('socket-server', 'serve one connection on stdin/stdout (socket-server.palomino.pl, run by xinetd or systemd)')
    .option('-c, --config <file>', CONFIG_HELP)
    .addHelpText('after', PLUGIN_HELP['socket-server'])
    .action((_opts: unknown, cmd: Command) => {
      result.run = (io2) => runPlugin('socket-server', [], configOf(cmd), io2);
    });
  sub('status', 'show the effective settings, whether a backup redirect is armed, and the recent runs')
    .option('-c, --config <file>', CONFIG_HELP)
    .option('--json', 'print it all as JSON')
    .option('--prometheus <file>', 'also write the node_exporter textfile FILE (atomically)')
    .option('--last <n>', 'how many recent runs to list (default 20)')
    .action((opts: { json?: boolean; prometheus?: string; last?: string }, cmd: Command) => {
      result.run = async (io2) => (await import('./commands/status.js')).statusCommand(configOf(cmd), io2, opts);
    });
  // A monitoring plugin: its own argument errors are UNKNOWN (3), so it parses them itself.
  sub('check', 'Nagios/Icinga plugin: are the backups recent (and verified)? exit 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN')
    .usage('[--max-age AGE] [--warning-age AGE] [--max-verified-age AGE] [--warning-verified-age AGE] [--destination DIR]... [--set NAME]...')
    .argument('[option...]', 'the check options below')
    .allowUnknownOption()
    .passThroughOptions()
    .helpOption('-h, --help')
    .addHelpText('after', CHECK_HELP)
    .action((args: string[]) => {
      result.run = async (io2) => (await import('./commands/check.js')).checkCommand(args, configOf(program), io2);
    });
  sub('verify-newest', 'verify the newest completed backup of each backup set under --destination (the nightly verify timer)')
    .requiredOption('--destination <dir>', 'ZRM\'s destination (<dir>/<set>/<timestamp>/); repeatable', (v: string, p: string[] = []) => [...p, v])
    .option('--set <name>', 'only this backup set; repeatable', (v: string, p: string[] = []) => [...p, v])
    .option('--scratch <dir>', 'where the scratch copies go (default: [backup] tmp_dir)')
    .option('--max-scratch <size>', 'skip a backup whose scratch copy would need more (e.g. 200G)')
    .action((opts: import('./commands/verifyNewest.js').VerifyNewestOptions) => {
      result.run = async () => (await import('./commands/verifyNewest.js')).verifyNewestCommand(opts, configOf(program));
    });
  const config = sub('config', 'work with the settings file');
  config
    .command('check')
    .description('check a settings file and its drop-ins (FILE.d/*.conf) without using them; exit 3 on any mistake')
    .argument('[file]', 'the file to check (default: --config, $ZRM_INNOBACKUPEX_CONF or /etc/mysql-zrm/innobackupex.conf)')
    .option('-c, --config <file>', CONFIG_HELP)
    .exitOverride()
    .configureOutput(output)
    .action((file: string | undefined, _opts: unknown, cmd: Command) => {
      result.run = async (io2) => (await import('./commands/configCheck.js')).configCheckCommand(file, configOf(cmd), io2);
    });
  sub('backup', 'take a hot backup of a database host through its socket server, without ZRM')
    .requiredOption('--host <host>', 'the database host (its socket server)')
    .option('--port <n>', 'the socket server\'s port (default: [server] port)')
    .requiredOption('--target <dir>', 'where the backup goes: a new directory DIR/<UTC time>')
    .option('--credentials <file>', 'MySQL option file (mode 600) with the database account (default: [backup] credentials_file)')
    .option('--defaults-extra-file <file>', 'the same as --credentials')
    .option('--remote-binpath <dir>', 'a 1.8b5 server runs innobackupex-1.5.1 from here (ZRM\'s remote-mysql-binpath; default /usr/bin)')
    .option('--prepare', 'prepare the backup once it has landed')
    .option('--json', 'print a machine-readable summary on stdout at the end')
    .option('-c, --config <file>', CONFIG_HELP)
    .action((opts: import('./commands/backup.js').BackupCommandOptions & { defaultsExtraFile?: string }, cmd: Command) => {
      const credentials = opts.credentials ?? opts.defaultsExtraFile;
      result.run = async (io2) => (await import('./commands/backup.js')).backupCommand({ ...opts, ...(credentials ? { credentials } : {}) }, configOf(cmd), io2);
    });
  sub('doctor', 'check this host (or, with --host, the way to a database host) and say how to fix what is wrong')
    .option('--host <host>', 'check from this backup host that the agent on DB answers and runs our version')
    .option('--port <n>', 'the agent\'s port (default: [server] port)')
    .option('--credentials <file>', 'MySQL option file with the database account to test (default: [backup] credentials_file)')
    .option('--json', 'print the results as JSON')
    .option('-c, --config <file>', CONFIG_HELP)
    .action((opts: import('./commands/doctor.js').DoctorCommandOptions, cmd: Command) => {
      result.run = async (io2) => (await import('./commands/doctor.js')).doctorCommand(opts, configOf(cmd), io2);
    });
  registerRestoreCommands(program, () => configOf(program), (run) => (result.run = run));
  return program;
}

/** Under xinetd (fd 0 a socket) a socket server prints no help: stdout is the client. */
function mayPrintHelp(mode: PluginMode): boolean {
  if (mode !== 'socket-server') return true;
  try {
    return !fstatSync(0).isSocket();
  } catch {
    return true;
  }
}

/** The command line as commander should see it: a plugin's file name becomes its subcommand. */
async function dispatch(argv: string[], io: CommandIo): Promise<number> {
  const mode = pluginModeOf(argv[1]);
  if (mode) {
    const args = argv.slice(2);
    // `inno-snapshot.pl --help` alone is a person asking; ZRM never passes it.
    const asksHelp = args.length === 1 && HELP_ARGS.has(args[0] ?? '') && mayPrintHelp(mode);
    if (!asksHelp) return runPlugin(mode, args, undefined, io);
    argv = [argv[0] ?? 'node', 'zrm-innobackupex', SUBCOMMAND[mode], '--help'];
  }
  const result: { run?: Run; wroteOut?: boolean } = {};
  const { Command, CommanderError } = await import('commander');
  try {
    await buildProgram(Command, io, result).parseAsync(argv);
  } catch (err) {
    // Help asked for and --version end with 0; help shown for a missing command and every other
    // complaint of commander are wrong arguments. (Commander's own status would depend on
    // process.exitCode.)
    if (!(err instanceof CommanderError)) throw err;
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return 0;
    return err.code === 'commander.help' && result.wroteOut ? 0 : ExitCode.usage;
  }
  return result.run ? result.run(io) : 0;
}

/**
 * Runs the CLI, or the plugin named by argv[1]'s file name; resolves to the exit status (the
 * table in errors.ts). Errors are reported on stderr here, except in server mode, where
 * stderr is the client's socket.
 */
export async function main(argv: string[], io: CommandIo = processIo()): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (err) {
    return reportFailure(err, argv, io);
  }
}
