import { tmpdir } from 'node:os';
import type { ZrmConf } from '../config/zrmConf.js';
import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import type { Remote } from './context.js';

/** Where a request goes: port and remote bin path from ZRM's settings, as the old plugin did. */
export function remoteFor(host: string, zrmConf: ZrmConf, config: AppConfig): Remote {
  const portText = zrmConf.get('socket-remote-port')?.trim() || String(config.server.port);
  if (!/^\d+$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
    throw new ExitError(`socket-remote-port '${portText}' is not a port number`, ExitCode.config);
  }
  return {
    host,
    port: Number(portText),
    tmpdir: tmpdir(),
    binpath: zrmConf.get('remote-mysql-binpath')?.trim() || '/usr/bin',
  };
}
