import { configPathOf, readAppConfig } from '../config/appConfig.js';
import { writeAll } from '../protocol/io.js';
import { processIo, type CommandIo } from './io.js';

/**
 * `zrm-innobackupex config check [FILE]`: reads FILE (else --config, $ZRM_INNOBACKUPEX_CONF or
 * the default) and its drop-ins as the plugins would, and says which files were read. Every
 * mistake is a ConfigError (exit 3), reported by the caller.
 */
export async function configCheckCommand(file: string | undefined, configPath: string | undefined, io: CommandIo = processIo()): Promise<number> {
  const named = file ?? configPath;
  const { files } = readAppConfig(named, io.env);
  const lines = files.map((f) => `${f}: OK`);
  if (!files.includes(configPathOf(named, io.env).path)) lines.unshift(`${configPathOf(named, io.env).path}: not there, the defaults apply`);
  await writeAll(io.stdout, `${lines.join('\n')}\n`);
  return 0;
}
