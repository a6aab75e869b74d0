import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** build/src/main.js of this checkout (tests run from build/test/...). */
export const MAIN_JS = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'src', 'main.js');

export const PLUGIN_NAMES = ['inno-snapshot.pl', 'socket-server.palomino.pl', 'socket-copy.palomino.pl'] as const;

/**
 * Lays the three plugins down in `dir` as tiny launchers, the way the package does, so that
 * they run under the file names existing ZRM configs use.
 */
export async function installPlugins(dir: string): Promise<Record<(typeof PLUGIN_NAMES)[number], string>> {
  await mkdir(dir, { recursive: true });
  const paths = {} as Record<(typeof PLUGIN_NAMES)[number], string>;
  for (const name of PLUGIN_NAMES) {
    const path = join(dir, name);
    await writeFile(path, `#!${process.execPath}\nimport(${JSON.stringify(MAIN_JS)});\n`);
    await chmod(path, 0o755);
    paths[name] = path;
  }
  return paths;
}

/** An innobackupex.conf for tests: everything under `dir`, the tool talking to `socket`. */
export async function writeAppConfig(path: string, opts: { dir: string; socket?: string; tool?: string; toolPath?: string; extra?: string; protocol?: string; allowedRoots?: string; pluginDir?: string }): Promise<void> {
  const stateDir = join(opts.dir, 'state');
  const tmp = join(opts.dir, 'tmp');
  await mkdir(tmp, { recursive: true, mode: 0o700 });
  await writeFile(
    path,
    [
      '[backup]',
      `tool = ${opts.tool ?? 'mariabackup'}`,
      opts.toolPath ? `tool_path = ${opts.toolPath}` : '',
      opts.socket ? `socket = ${opts.socket}` : '',
      `tmp_dir = ${tmp}`,
      '[state]',
      `dir = ${stateDir}`,
      'max_age = 3600',
      '[server]',
      `plugin_dir = ${opts.pluginDir ?? join(opts.dir, 'plugins')}`,
      `allowed_roots = ${opts.allowedRoots ?? '/'}`,
      '[client]',
      `protocol = ${opts.protocol ?? 'auto'}`,
      '[log]',
      `server_log = ${join(opts.dir, 'socket-server.log')}`,
      `tool_log = ${join(opts.dir, 'innobackupex.log')}`,
      'level = debug',
      opts.extra ?? '',
      '',
    ].join('\n'),
  );
}
