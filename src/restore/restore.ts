import { mkdir, mkdtemp, rm, unlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { execa } from 'execa';
import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import { requireEmptyDatadir, requireNoServer } from './datadirGuard.js';
import { extractArchive, locateBackup } from './locate.js';
import { METADATA_FILE } from './metadata.js';
import { prepareBackup, recordedTool } from './prepare.js';
import { copyBackWith, localToolFor } from './tool.js';

export interface RestoreOptions {
  datadir: string;
  move: boolean;
  /** chown -R target ("mysql", "mysql:mysql"); empty: leave ownership alone. */
  owner: string;
  pidFile?: string | undefined;
  socket?: string | undefined;
  defaultsFile?: string | undefined;
  /** Where a compressed backup is unpacked (default: beside the datadir). */
  tmpDir?: string | undefined;
  say: (line: string) => void;
}

async function requireOwner(owner: string): Promise<void> {
  if (owner === '') return;
  const user = owner.split(':')[0] ?? '';
  const r = await execa('id', ['-u', '--', user], { reject: false, stdin: 'ignore' });
  if (r.exitCode !== 0) throw new ExitError(`owner '${user}' is not a user on this host (use --owner)`, ExitCode.usage);
}

/** Prepares (if needed) and copies or moves a backup into an empty datadir; returns the next step. */
export async function restoreBackup(path: string, config: AppConfig, opts: RestoreOptions): Promise<string> {
  await requireEmptyDatadir(opts.datadir);
  await requireNoServer(opts.datadir, opts);
  await requireOwner(opts.owner);
  const located = await locateBackup(path);
  await mkdir(opts.datadir, { recursive: true, mode: 0o750 });
  let unpacked: string | undefined;
  try {
    let dir: string;
    if (located.kind === 'archive') {
      unpacked = await mkdtemp(join(opts.tmpDir ?? dirname(opts.datadir), '.zrm-restore-'));
      opts.say(`unpacking ${located.file} into ${unpacked}`);
      dir = await extractArchive(located.file, unpacked);
    } else {
      dir = located.dir;
    }
    const prepared = await prepareBackup(dir, config);
    if (prepared.ran) opts.say(`prepared ${dir} with ${prepared.tool?.name ?? ''} ${prepared.tool?.version ?? ''}`);
    const recorded = await recordedTool(dir, config);
    const tool = await localToolFor(recorded.name, recorded.version, config);
    opts.say(`${opts.move ? 'moving' : 'copying'} ${dir} into ${opts.datadir}`);
    await copyBackWith(tool, dir, opts.datadir, opts.move, opts.defaultsFile);
    // Our metadata describes the backup, not a data directory.
    await unlink(join(opts.datadir, METADATA_FILE)).catch(() => undefined);
    if (opts.owner !== '') {
      // "user" alone: the user's login group too (chown's "user:").
      const owner = opts.owner.includes(':') ? opts.owner : `${opts.owner}:`;
      const r = await execa('chown', ['-R', '--', owner, opts.datadir], { reject: false, stdin: 'ignore' });
      if (r.exitCode !== 0) throw new ExitError(`chown -R ${opts.owner} ${opts.datadir} failed: ${String(r.stderr).trim()}`, ExitCode.failure);
    }
  } finally {
    if (unpacked) await rm(unpacked, { recursive: true, force: true });
  }
  return (
    `restored into ${opts.datadir}. Next: make sure the server's datadir is ${opts.datadir} ` +
    `(my.cnf), start it (systemctl start mariadb), check its error log, and run mariadb-upgrade if its version differs from the backup's.`
  );
}
