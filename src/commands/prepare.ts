import { mkdir } from 'node:fs/promises';
import { loadAppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import { extractArchive, locateBackup } from '../restore/locate.js';
import { prepareBackup } from '../restore/prepare.js';

export interface PrepareCommandOptions {
  /** Where to unpack a compressed backup (required for one). */
  extractTo?: string;
}

/** `zrm-innobackupex prepare DIR`: finds the hot backup in DIR and prepares it in place. */
export async function prepareCommand(path: string, opts: PrepareCommandOptions, configPath?: string): Promise<number> {
  const config = loadAppConfig(configPath, process.env);
  const located = await locateBackup(path);
  let dir: string;
  if (located.kind === 'archive') {
    if (!opts.extractTo) throw new ExitError(`${located.file} is compressed: give --extract-to DIR to unpack and prepare it there`, ExitCode.usage);
    await mkdir(opts.extractTo, { recursive: true, mode: 0o700 });
    dir = await extractArchive(located.file, opts.extractTo);
  } else {
    dir = located.dir;
  }
  const r = await prepareBackup(dir, config);
  const how = r.ran ? `prepared with ${r.tool?.name ?? ''} ${r.tool?.version ?? ''}`.trimEnd() : 'already prepared';
  process.stdout.write(`${dir}: ${how} (LSN ${r.toLsn}); restore it with: zrm-innobackupex restore ${dir} --datadir DIR\n`);
  return 0;
}
