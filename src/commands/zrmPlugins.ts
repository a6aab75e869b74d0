import type { CommandIo } from './io.js';
import type { PluginMode } from './pluginNames.js';

/** The plugins ZRM runs many times a backup; the socket server is started by xinetd or systemd. */
export type CallPlugin = Exclude<PluginMode, 'socket-server'>;

/**
 * Runs the snapshot or copy plugin. Each is imported only when it runs: ZRM starts a plugin
 * about 16 times a backup, and a plugin should not pay for compiling and loading what another
 * plugin (or the CLI) needs. Both the whole program (cli.ts) and the plugins' own (pluginMain.ts)
 * run them through here.
 */
export async function runCallPlugin(mode: CallPlugin, args: string[], configPath: string | undefined, io: CommandIo): Promise<number> {
  switch (mode) {
    case 'snapshot': return (await import('./snapshot.js')).snapshotCommand(args, configPath, io);
    case 'socket-copy': return (await import('./socketCopy.js')).socketCopyCommand(args, configPath, io);
  }
}
