import type { ZrmConf } from '../config/zrmConf.js';
import type { PluginContext } from '../process/pluginContext.js';

export interface CopyContext extends PluginContext {
  /** ZRM's settings; read from $ZRM_CONF when not given. */
  zrmConf?: ZrmConf;
}

/** What every request to a remote server needs besides its action. */
export interface Remote {
  host: string;
  port: number;
  tmpdir: string;
  binpath: string;
}
