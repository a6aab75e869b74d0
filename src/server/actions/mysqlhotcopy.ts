import { ANONYMOUS_RUN, sameRun } from '../../snapshot/runKey.js';
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

/**
 * `mysqlhotcopy`: like an armed `copy from`, a hot backup with the backup tool. Its request
 * carries options and database names, nothing that could show it belongs to the armed run, so a
 * named run's credentials (our snapshot plugin's) never serve it: it brings its own with
 * --user/--password. Only an unnamed run (an unmodified 1.8b5 snapshot plugin, nothing to
 * compare with) lends its credentials, as the 1.8b5 server did.
 */
export async function mysqlhotcopy(s: Session): Promise<Outcome> {
  const { config, logger } = s.deps;
  const armed = await readArmedState(config.state.dir, config.state.maxAge, logger);
  const opts = parseHotcopyOptions(s.header.params);
  const lend = armed !== null && armed !== undefined && sameRun(armed.run, ANONYMOUS_RUN);
  const user = lend ? armed.user : opts.get('user');
  const password = lend ? armed.password : (opts.get('password') ?? '');
  if (!user) {
    const message = 'mysqlhotcopy: no credentials (give --user; a named run armed by the snapshot plugin does not lend its own)';
    logger.error(message);
    await sendV2Error(s, message);
    return { ok: false, detail: message };
  }
  return streamBackupTool(s, { user, password });
}
