import { ExitError } from '../errors.js';
import { addSecret } from '../logging/api.js';
import type { PluginContext } from '../process/pluginContext.js';
import type { SnapshotAction } from './args.js';
import { armState, disarmState, ensureStateDir } from './state.js';
import { releaseRunLock, requireRunLock, takeRunLock } from './runLock.js';
import { ANONYMOUS_RUN, describeRun, runKeyFrom, type RunKey } from './runKey.js';
import { requireZrmConf } from './zrmConfFile.js';

// The four actions on the database host that take, arm, disarm and release its state
// (get-vm-device-details is deviceDetails.ts). Nothing is snapshotted: the plugin only arms and
// disarms the state the socket server reads. No sleeps: ZRM runs create-snapshot while it holds
// FLUSH TABLES WITH READ LOCK, so every second here stalls the database's writes.

async function mount(ctx: PluginContext, run: RunKey): Promise<void> {
  const conf = await requireZrmConf(ctx.env, 'read the database credentials');
  const user = conf.get('user') ?? '';
  if (user === '') throw new ExitError(`ZRM_CONF ${ctx.env.ZRM_CONF} has no user: cannot arm the backup`);
  const password = conf.get('password') ?? '';
  addSecret(ctx.logger, password);
  const dir = ctx.config.state.dir;
  await ensureStateDir(dir, ctx.logger);
  await requireRunLock(dir, run, ctx.config.state.maxAge, ctx.logger);
  await armState(dir, { user, password }, new Date(), run);
  ctx.logger.info(`armed ${dir} for database user ${user}, ${describeRun(run)}`);
}

/** Which run this call belongs to: from the settings ZRM forwarded (none: the unnamed run). */
async function runOf(ctx: PluginContext): Promise<RunKey> {
  if (!ctx.env.ZRM_CONF) return ANONYMOUS_RUN;
  return runKeyFrom(await requireZrmConf(ctx.env, 'read the backup set'));
}

type StateAction = Exclude<SnapshotAction, 'get-vm-device-details'>;

export async function runStateAction(action: StateAction, ctx: PluginContext): Promise<void> {
  const dir = ctx.config.state.dir;
  const { logger } = ctx;
  switch (action) {
    case 'create-snapshot': {
      const run = await runOf(ctx);
      await ensureStateDir(dir, logger);
      // Refused while another run holds the host; then a leftover of this run (or of a dead one)
      // must not outlive this call.
      await takeRunLock(dir, run, ctx.config.state.maxAge, logger);
      await disarmState(dir);
      return;
    }
    case 'mount':
      return mount(ctx, await runOf(ctx));
    case 'umount':
      await disarmState(dir, await runOf(ctx), logger);
      return;
    case 'remove-snapshot': {
      const run = await runOf(ctx);
      await disarmState(dir, run, logger);
      await releaseRunLock(dir, run, logger);
      return;
    }
  }
}
