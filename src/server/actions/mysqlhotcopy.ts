import { readArmedState } from '../../snapshot/state.js';
import type { Outcome, Session } from '../context.js';
import { sendV2Error } from '../reply.js';
import { streamBackupTool } from './backupRedirect.js';

/** The ` --k="v"` options of a mysqlhotcopy request. */
function parseHotcopyOptions(params: string): Map<string, string> {
  const opts = new Map<string, string>();
  const re = /--([a-z-]+)(?:="([^"]*)"|=(\S*))?/g;
  for (let m = re.exec(params); m; m = re.exec(params)) opts.set(m[1] ?? '', m[2] ?? m[3] ?? '');
  return opts;
}

/** `mysqlhotcopy`: like an armed `copy from`, a hot backup with the backup tool. */
export async function mysqlhotcopy(s: Session): Promise<Outcome> {
  const { config, logger } = s.deps;
  const armed = await readArmedState(config.state.dir, config.state.maxAge, logger);
  const opts = parseHotcopyOptions(s.header.params);
  const user = armed?.user ?? opts.get('user');
  const password = armed?.password ?? opts.get('password') ?? '';
  if (!user) {
    const message = 'mysqlhotcopy: no credentials (neither armed by the snapshot plugin nor given as --user)';
    logger.error(message);
    await sendV2Error(s, message);
    return { ok: false, detail: message };
  }
  return streamBackupTool(s, { user, password });
}
