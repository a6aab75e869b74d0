import { describeRun, isLinksDir, pathBelongsToRun } from '../../snapshot/runKey.js';
import { readArmedState } from '../../snapshot/state.js';
import type { Outcome, Session } from '../context.js';
import { refuseRequest } from '../reply.js';
import { streamBackupTool } from './backupRedirect.js';
import { streamPathAsTar } from './tarSource.js';

/**
 * `copy from`: the redirect point. When the snapshot plugin armed the state (ZRM "mounted its
 * snapshot"), the client asking for the armed run's ZRM_LINKS gets a hot backup from the backup
 * tool. ZRM_LINKS with nothing armed is refused: its links point into the live data directory,
 * and a tar of those files is no backup. Anything else gets a tar of exactly the path asked for
 * (binary logs, replication files).
 */
export async function copyFrom(s: Session): Promise<Outcome> {
  const { config, logger } = s.deps;
  const params = s.header.params;
  const armed = await readArmedState(config.state.dir, config.state.maxAge, logger);
  const links = isLinksDir(params);
  if (armed && (links || armed.run.set === '')) {
    if (!pathBelongsToRun(params, armed.run)) {
      // Which run is armed stays in our log: told to the client, it would say which path to ask for.
      logger.warn(`copy from '${params}': this host is armed for ${describeRun(armed.run)}, and this path is not that run's`);
      return refuseRequest(s, `copy from '${params}' refused: this path is not the armed backup run's`);
    }
    logger.info(`copy from '${params}': snapshot armed at ${armed.armedAt.toISOString()} by ${describeRun(armed.run)}, running ${config.backup.tool}`);
    return streamBackupTool(s, { user: armed.user, password: armed.password });
  }
  if (links) {
    return refuseRequest(
      s,
      `copy from '${params}' refused: no backup run is armed on this host (the snapshot plugin's mount did not run here, ` +
        'or its state expired), and a tar of ZRM_LINKS would copy the live data files, not a backup',
    );
  }
  return streamPathAsTar(s, params);
}
