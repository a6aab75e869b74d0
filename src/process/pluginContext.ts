import type { Writable } from 'node:stream';
import type { AppConfig } from '../config/appConfig.js';
import type { Logger } from '../logging/logger.js';
import type { Runner } from './runner.js';

/**
 * What one run of a ZRM plugin (snapshot or copy) may touch: its environment and output streams
 * (a test passes its own), our settings, our log, and the runner that starts other programs.
 */
export interface PluginContext {
  env: NodeJS.ProcessEnv;
  config: AppConfig;
  logger: Logger;
  stdout: Writable;
  stderr: Writable;
  /** Starts other programs; execa when absent. */
  run?: Runner;
}
