import type { AppConfig, BackupToolName } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import type { StreamFormat } from '../protocol/streamFormat.js';

export interface ToolPaths {
  /** Our 0600 option file with the credentials. When config.defaultsFile is set it must
   *  `!include` that file (writeOptionFile's `include`), because it replaces it on the command line. */
  optionFile: string;
  /** Scratch directory the tool may write to (innobackupex: its BACKUP-ROOT-DIR). */
  targetDir: string;
  extraLsndir?: string | undefined;
}

export interface ToolArgv {
  command: string;
  args: string[];
  format: StreamFormat;
}

export function formatOf(tool: BackupToolName): StreamFormat {
  return tool === 'innobackupex' ? 'tar' : 'xbstream';
}

// Options the extra_options key must not carry: a password would show in `ps`, the defaults
// options only work as the first argument (which is ours), and the rest we set ourselves.
const FORBIDDEN_EXTRA = ['--password', '--defaults-file', '--defaults-extra-file', '--no-defaults', '--stream', '--target-dir'];

function checkExtraOptions(extra: readonly string[]): void {
  for (const opt of extra) {
    const name = opt.split('=')[0] ?? opt;
    if (FORBIDDEN_EXTRA.includes(name) || /^-p/.test(opt)) {
      throw new ExitError(`config: extra_options must not contain ${name} (it is set by zrm-innobackupex or would leak a password)`, ExitCode.config);
    }
  }
}

/**
 * The tool's argv, password-free: the credentials are in paths.optionFile.
 *
 * mariabackup (checked with 10.11) accepts --defaults-file or --defaults-extra-file only as
 * argv[1] and refuses the second of the two wherever it stands ("--defaults-file must be
 * specified first on the command line"), so both cannot be given. With a configured
 * defaults file we therefore pass our option file as --defaults-file, and it !includes the
 * configured one before its own [client] group, so our user and password win.
 */
export function buildToolArgv(config: AppConfig['backup'], paths: ToolPaths): ToolArgv {
  checkExtraOptions(config.extraOptions);
  const command = config.toolPath !== '' ? config.toolPath : `/usr/bin/${config.tool}`;
  const format = formatOf(config.tool);
  const args: string[] = [
    config.defaultsFile !== '' ? `--defaults-file=${paths.optionFile}` : `--defaults-extra-file=${paths.optionFile}`,
  ];
  const connection: string[] = [];
  if (config.socket !== '') connection.push(`--socket=${config.socket}`);
  if (config.host !== '') connection.push(`--host=${config.host}`);
  if (config.port !== undefined) connection.push(`--port=${config.port}`);
  const lsn = paths.extraLsndir ? [`--extra-lsndir=${paths.extraLsndir}`] : [];

  if (config.tool === 'innobackupex') {
    // innobackupex has no --datadir: it reads the data directory from my.cnf.
    args.push(...connection, '--stream=tar', ...lsn, ...config.extraOptions, paths.targetDir);
  } else {
    args.push('--backup', '--stream=xbstream', `--target-dir=${paths.targetDir}`);
    if (config.datadir !== '') args.push(`--datadir=${config.datadir}`);
    args.push(...connection, ...lsn, ...config.extraOptions);
  }
  return { command, args, format };
}
