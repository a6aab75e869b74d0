import { ExitError, errorMessage } from '../errors.js';
import { loadZrmConf, type ZrmConf } from '../config/zrmConf.js';

/** ZRM's per-run settings (file named by $ZRM_CONF); the plugin cannot do `why` without them. */
export async function requireZrmConf(env: NodeJS.ProcessEnv, why: string): Promise<ZrmConf> {
  if (!env.ZRM_CONF) throw new ExitError(`ZRM_CONF is not set: cannot ${why}`);
  try {
    return await loadZrmConf(env);
  } catch (err) {
    throw new ExitError(`cannot read ZRM_CONF ${env.ZRM_CONF}: ${errorMessage(err)}`, undefined, { cause: err });
  }
}
