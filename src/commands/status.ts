import { errorMessage } from '../errors.js';
import { loadAppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import { withDatabaseRoots } from '../config/databaseRoots.js';
import { createLogger } from '../logging/logger.js';
import { writeAll } from '../protocol/io.js';
import { readArmedState } from '../snapshot/state.js';
import { processIo, type CommandIo } from './io.js';

/** `zrm-innobackupex status`: the effective settings and whether a backup redirect is armed. */
export async function statusCommand(configPath?: string, io: CommandIo = processIo()): Promise<number> {
  const config = await withDatabaseRoots(withUsableStateDir(loadAppConfig(configPath, io.env)));
  const logger = createLogger({ console: false });
  // The state belongs to the user the server runs as (mysql): root may only be told so.
  const armedLine = await readArmedState(config.state.dir, config.state.maxAge, logger).then(
    (armed) => (armed ? `yes, since ${armed.armedAt.toISOString()} for user ${armed.user}` : 'no'),
    (err: unknown) => `unknown (${errorMessage(err)})`,
  );
  const lines = [
    `backup tool:     ${config.backup.tool} (${config.backup.toolPath || `/usr/bin/${config.backup.tool}`})`,
    `state dir:       ${config.state.dir} (max age ${config.state.maxAge}s)`,
    `redirect armed:  ${armedLine}`,
    `server port:     ${config.server.port}`,
    `allowed roots:   ${config.server.allowedRoots.join(' ')}${config.server.allowedRootsAuto ? ' (auto)' : ''}`,
    `allowed clients: ${config.server.allowedClients.join(' ')}`,
    `authentication:  ${config.auth.secretFile ? `shared secret ${config.auth.secretFile}` : 'none'}${config.tls.cert ? `, TLS (ca ${config.tls.ca})` : ''}`,
    `client protocol: ${config.client.protocol}`,
    `server log:      ${config.log.serverLog}`,
    `tool log:        ${config.log.toolLog}`,
  ];
  await writeAll(io.stdout, `${lines.join('\n')}\n`);
  return 0;
}
