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

/** True when this process serves a connection: then stdout and stderr belong to the client. */
export function isServerMode(argv: string[]): boolean {
  return pluginModeOf(argv[1]) === 'socket-server' || argv.slice(2).includes('socket-server');
}
