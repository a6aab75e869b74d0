import { Writable } from 'node:stream';
import type { AppConfig } from '../config/appConfig.js';
import type { Credentials } from '../backupTool/types.js';
import { openRequest } from '../client/connection.js';
import type { Remote } from '../client/context.js';
import { countedLines, exchangeStatus } from '../client/forms/statusRequest.js';
import type { PeerMemory } from '../client/peerMemory.js';
import { ExitError } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import type { RunKey } from '../snapshot/runKey.js';

// Arming and disarming the database host the way ZRM does it through our plugins: the snapshot
// plugin's create-snapshot, mount, umount and remove-snapshot, each forwarded as a `snapshot`
// request with the run's settings (PROTOCOL.md §2, §3). Any server that serves ZRM serves this,
// the 1.8b5 one included.

/** What the server is told the plugin is; ours ignores it, the 1.8b5 one runs its namesake. */
const SNAPSHOT_PLUGIN = '/usr/share/mysql-zrm/plugins/inno-snapshot.pl';

/** The options ZRM gives each action (SnapshotCommon), as `--k=v ` each. */
const ACTION_PARAMS: Record<string, string> = {
  'create-snapshot': '--dev=/dev/null --size=10 --sname=null --directory=/tmp/zrm-innosnap ',
  mount: '--dev=/dev/null --directory=/tmp/zrm-innosnap --fstype=null ',
  umount: '--directory=/tmp/zrm-innosnap ',
  'remove-snapshot': '--dev=/dev/null ',
};

export type SnapshotStep = 'create-snapshot' | 'mount' | 'umount' | 'remove-snapshot';

export interface ArmedRunDeps {
  config: AppConfig;
  logger: Logger;
  memory: PeerMemory;
}

class Collector extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.text += chunk.toString();
    cb();
  }
}

/** The forwarded settings: the run's key (so the host serves only this run) and the account. */
function settingsOf(run: RunKey, creds: Credentials): string[] {
  const lines = [`backup-set=${run.set}`, `destination=${run.destination}`, `user=${creds.user}`, `password=${creds.password}`];
  if (lines.some((l) => /[\r\n]/.test(l))) throw new ExitError('the database account or the target directory contains a line break');
  return lines;
}

/**
 * A 1.8b5 server behind xinetd (`instances = 1`) that still counts the last request resets the
 * next connection before it answers (our v2 client retries silent hang-ups itself; 1.8b5 has no
 * answer to wait for): such a reset is asked again once, after a moment.
 */
export async function againAfterReset<T>(what: string, logger: Logger, attempt: (first: boolean) => Promise<T>, mayRetry: () => boolean = () => true): Promise<T> {
  try {
    return await attempt(true);
  } catch (err) {
    if (!mayRetry() || !/ECONNRESET|EPIPE|empty stream/.test((err as Error).message)) throw err;
    logger.info(`${what}: connection reset before an answer (${(err as Error).message}); asking again`);
    await new Promise((res) => setTimeout(res, 1000));
    return attempt(false);
  }
}

/** Runs one snapshot action on the database host; throws with the host's own words on failure. */
export async function snapshotStep(step: SnapshotStep, remote: Remote, run: RunKey, creds: Credentials, deps: ArmedRunDeps): Promise<void> {
  const params = `--action=${step} ${ACTION_PARAMS[step] ?? ''}`;
  const stderr = new Collector();
  const code = await againAfterReset(`snapshot ${step}`, deps.logger, async () => {
    const conv = await openRequest(remote, 'snapshot', params, deps.config.client, deps.logger, { security: deps.config, memory: deps.memory });
    stderr.text = '';
    const ctx = { env: {}, config: deps.config, logger: deps.logger, stdout: new Collector(), stderr };
    return exchangeStatus(conv, `${SNAPSHOT_PLUGIN}\n${countedLines(settingsOf(run, creds))}`, ctx, `snapshot ${step}`);
  });
  if (code !== 0) {
    const why = stderr.text.trim().split('\n').join(' / ') || 'no reason given';
    throw new ExitError(`${step} on ${remote.host}:${remote.port} failed: ${why}`);
  }
}

/** Disarms whatever happens: both steps are tried; the first failure is returned, not thrown. */
export async function disarm(remote: Remote, run: RunKey, creds: Credentials, deps: ArmedRunDeps): Promise<Error | undefined> {
  let first: Error | undefined;
  for (const step of ['umount', 'remove-snapshot'] as const) {
    try {
      await snapshotStep(step, remote, run, creds, deps);
    } catch (err) {
      deps.logger.error(`disarming ${remote.host}: ${(err as Error).message}`);
      first ??= err as Error;
    }
  }
  return first;
}
