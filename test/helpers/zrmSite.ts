import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MariaDb } from './mariadb.js';
import { installPlugins, writeAppConfig } from './plugins.js';
import { startXinetd, type Xinetd } from './xinetd.js';
import { writeZrmConf, type ZrmHarness } from './zrmRun.js';

// One database host and its backup server on this machine, as the recorded ZRM set-up has
// them: the plugins in `<dir>/plugins`, our config, xinetd serving the socket server, and ZRM's
// settings file naming the plugins, the port and the backup account.
export interface ZrmSite {
  plugins: Awaited<ReturnType<typeof installPlugins>>;
  xinetd: Xinetd;
  appConf: string;
  serverLog: string;
  toolLog: string;
  /** The environment ZRM gives the plugins. */
  env: Record<string, string>;
  harness: ZrmHarness;
}

export async function startZrmSite(dir: string, db: MariaDb, opts: { appConfigText?: string; xinetdUser?: string } = {}): Promise<ZrmSite> {
  const plugins = await installPlugins(join(dir, 'plugins'));
  const appConf = join(dir, 'innobackupex.conf');
  if (opts.appConfigText !== undefined) await writeFile(appConf, opts.appConfigText, { mode: 0o644 });
  else await writeAppConfig(appConf, { dir, socket: db.socket });
  const xinetd = await startXinetd(dir, plugins['socket-server.palomino.pl'], {
    env: { ZRM_INNOBACKUPEX_CONF: appConf },
    ...(opts.xinetdUser ? { user: opts.xinetdUser } : {}),
  });
  const zrmConf = join(dir, 'zrm.conf');
  await writeZrmConf(zrmConf, {
    user: db.backupUser,
    password: db.backupPassword,
    'copy-plugin': plugins['socket-copy.palomino.pl'],
    'snapshot-plugin': plugins['inno-snapshot.pl'],
    'socket-remote-port': String(xinetd.port),
    'remote-mysql-binpath': '/usr/bin',
  });
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: appConf };
  return {
    plugins,
    xinetd,
    appConf,
    serverLog: join(dir, 'socket-server.log'),
    toolLog: join(dir, 'innobackupex.log'),
    env,
    harness: { conf: zrmConf, plugins: { snapshot: plugins['inno-snapshot.pl'], copy: plugins['socket-copy.palomino.pl'] }, env },
  };
}
