import type { Command } from 'commander';
import type { RestoreCommandOptions } from './restore.js';
import type { VerifyCommandOptions } from './verify.js';

// The road back (prepare, restore, verify): registered on the main program with one call. Each
// command's module is loaded only when it runs (cli.ts is loaded by every plugin call too).
export function registerRestoreCommands(program: Command, configPath: () => string | undefined, setRun: (run: () => Promise<number>) => void): void {
  program
    .command('prepare')
    .description('find the hot backup in DIR (plain, ZRM\'s layout, or compressed) and prepare it in place')
    .argument('<dir>', 'the backup, ZRM\'s backup directory holding it, or a tar archive')
    .option('--extract-to <dir>', 'where to unpack a compressed backup before preparing it')
    .action((dir: string, opts: { extractTo?: string }) => {
      setRun(async () => (await import('./prepare.js')).prepareCommand(dir, opts, configPath()));
    });
  program
    .command('restore')
    .description('prepare (if needed) and copy a backup into an empty data directory')
    .argument('<dir>', 'the backup, ZRM\'s backup directory holding it, or a tar archive')
    .requiredOption('--datadir <dir>', 'the empty data directory to restore into')
    .option('--move-back', 'move the files instead of copying them (the backup is used up)')
    .option('--owner <user[:group]>', 'owner of the restored files', 'mysql')
    .option('--pid-file <file>', 'refuse when the server of this pid file is running')
    .option('--socket <file>', 'refuse when a server answers on this socket')
    .option('--defaults-file <file>', 'the server\'s my.cnf, for the tool\'s copy-back')
    .option('--tmpdir <dir>', 'where to unpack a compressed backup (default: beside --datadir)')
    .action((dir: string, opts: RestoreCommandOptions) => {
      setRun(async () => (await import('./restore.js')).restoreCommand(dir, opts, configPath()));
    });
  program
    .command('verify')
    .description('restore the backup in DIR on a scratch copy into a throwaway server and check every table')
    .argument('<dir>', 'the backup, ZRM\'s backup directory holding it, or a tar archive (left unchanged)')
    .option('--scratch <dir>', 'where the scratch copy goes (default: [backup] tmp_dir)')
    .option('--json', 'print the result as JSON')
    .action((dir: string, opts: VerifyCommandOptions) => {
      setRun(async () => (await import('./verify.js')).verifyCommand(dir, opts, configPath()));
    });
}
