import { basename } from 'node:path';

export type PluginMode = 'snapshot' | 'socket-server' | 'socket-copy';

/** The file names existing ZRM configs and xinetd services use for the three plugins. */
const PLUGIN_FILES: Record<string, PluginMode> = {
  'inno-snapshot.pl': 'snapshot',
  'socket-server.palomino.pl': 'socket-server',
  'socket-copy.palomino.pl': 'socket-copy',
};

export function pluginModeOf(scriptPath: string | undefined): PluginMode | undefined {
  return scriptPath ? PLUGIN_FILES[basename(scriptPath)] : undefined;
}
