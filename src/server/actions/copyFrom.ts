import { readArmedState } from '../../snapshot/state.js';
import type { Outcome, Session } from '../context.js';
import { streamBackupTool } from './backupRedirect.js';
import { streamPathAsTar } from './tarSource.js';

/**
 * `copy from`: the redirect point. When the snapshot plugin armed the state (ZRM "mounted its
 * snapshot"), whatever path ZRM asked for, the client gets a hot backup from the backup tool.
 * Otherwise it gets a tar of exactly the path asked for (binary logs, replication files).
 */
export async function copyFrom(s: Session): Promise<Outcome> {
  const { config, logger } = s.deps;
  const armed = await readArmedState(config.state.dir, config.state.maxAge, logger);
  if (armed) {
    logger.info(`copy from '${s.header.params}': snapshot armed at ${armed.armedAt.toISOString()}, running ${config.backup.tool}`);
    return streamBackupTool(s, { user: armed.user, password: armed.password });
  }
  return streamPathAsTar(s, s.header.params);
}
