import { pathBelongsToRun } from '../../snapshot/runKey.js';
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

/** The destination of a mysqlhotcopy request: its last word that is no option (`DB... DEST`). */
function hotcopyDestination(params: string): string | undefined {
  return params.replace(/--[a-z-]+(?:="[^"]*"|=\S*)?/g, ' ').trim().split(/\s+/).filter((w) => w !== '').pop();
}

/**
 * `mysqlhotcopy`: like an armed `copy from`, a hot backup with the backup tool. The armed run's
 * credentials serve only a request whose destination belongs to that run (as `copy from` of its
 * ZRM_LINKS must): any other client, armed run or not, brings its own with --user/--password.
 */
export async function mysqlhotcopy(s: Session): Promise<Outcome> {
  const { config, logger } = s.deps;
  const armed = await readArmedState(config.state.dir, config.state.maxAge, logger);
  const opts = parseHotcopyOptions(s.header.params);
  const dest = hotcopyDestination(s.header.params);
  const forTheRun = armed !== null && armed !== undefined && dest !== undefined && pathBelongsToRun(dest, armed.run);
  const user = forTheRun ? armed.user : opts.get('user');
  const password = forTheRun ? armed.password : (opts.get('password') ?? '');
  if (!user) {
    const message = `mysqlhotcopy: no credentials (give --user; the armed run's are used only for a destination of that run${dest === undefined ? '' : `, not ${dest}`})`;
    logger.error(message);
    await sendV2Error(s, message);
    return { ok: false, detail: message };
  }
  return streamBackupTool(s, { user, password });
}
