import { isAbsolute } from 'node:path';
import { loadAppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import { restoreBackup } from '../restore/restore.js';

export interface RestoreCommandOptions {
  datadir: string;
  moveBack?: boolean;
  owner: string;
  pidFile?: string;
  socket?: string;
  defaultsFile?: string;
  tmpdir?: string;
}

/** `zrm-innobackupex restore DIR --datadir D`. */
export async function restoreCommand(path: string, opts: RestoreCommandOptions, configPath?: string): Promise<number> {
  const config = loadAppConfig(configPath, process.env);
  if (!isAbsolute(opts.datadir)) throw new ExitError(`--datadir must be an absolute path, got '${opts.datadir}'`, ExitCode.usage);
  const next = await restoreBackup(path, config, {
    datadir: opts.datadir,
    move: opts.moveBack === true,
    owner: opts.owner,
    pidFile: opts.pidFile,
    socket: opts.socket,
    defaultsFile: opts.defaultsFile,
    tmpDir: opts.tmpdir,
    say: (line) => process.stdout.write(`${line}\n`),
  });
  process.stdout.write(`${next}\n`);
  return 0;
}
