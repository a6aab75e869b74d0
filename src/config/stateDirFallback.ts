import { accessSync, constants, existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from './appConfig.js';

/**
 * Where the armed credentials go. The configured directory, or the packaged default when it
 * exists or can be made; without the package (plugins copied by hand, run as `mysql`, who may not
 * create anything in /var/lib) a private per-user directory in /tmp, whose owner and mode the
 * snapshot module checks like any other. Both plugins run as the same user and agree on it.
 */
export function withUsableStateDir(config: AppConfig, uid: number = process.getuid?.() ?? 0): AppConfig {
  const dir = config.state.dir;
  if (config.state.dirConfigured || existsSync(dir) || writable(dirname(dir))) return config;
  return { ...config, state: { ...config.state, dir: join('/tmp', `zrm-innobackupex-${uid}`) } };
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}
