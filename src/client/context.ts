import type { Writable } from 'node:stream';
import type { AppConfig } from '../config/appConfig.js';
import type { ZrmConf } from '../config/zrmConf.js';
import type { Logger } from '../logging/logger.js';
import type { Runner } from '../process/runner.js';

export interface CopyContext {
  env: NodeJS.ProcessEnv;
  config: AppConfig;
  logger: Logger;
  stdout: Writable;
  stderr: Writable;
  /** ZRM's settings; read from $ZRM_CONF when not given. */
  zrmConf?: ZrmConf;
  /** Starts tar and mysqlhotcopy; execa when absent. */
  run?: Runner;
}

/** What every request to a remote server needs besides its action. */
export interface Remote {
  host: string;
  port: number;
  tmpdir: string;
  binpath: string;
}
