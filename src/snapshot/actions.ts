import { stat } from 'node:fs/promises';
import { ExitError, errorMessage } from '../errors.js';
import { addSecret } from '../logging/api.js';
import type { PluginContext } from '../process/pluginContext.js';
import type { SnapshotArgs } from './args.js';
import { writeAll } from '../protocol/io.js';
import { armState, disarmState, ensureStateDir } from './state.js';
import { releaseRunLock, requireRunLock, takeRunLock } from './runLock.js';
import { ANONYMOUS_RUN, describeRun, runKeyFrom, type RunKey } from './runKey.js';
import { requireZrmConf } from './zrmConfFile.js';

// The five actions on the database host. Nothing is snapshotted: the plugin only arms and disarms
// the state the socket server reads. No sleeps: ZRM runs create-snapshot while it holds
// FLUSH TABLES WITH READ LOCK, so every second here stalls the database's writes.

/**
 * The mount point ZRM is told: the old plugin's value, exactly. It is only a label to ZRM (it
 * passes it back as --directory, which we ignore); our credentials live in the state directory.
 * Saying what ZRM always heard keeps whatever ZRM does with it (on either host) unchanged.
 */
const REPORTED_MOUNT_POINT = '/tmp/zrm-innosnap';

/** Pretends D is on a volume. */
async function getVmDeviceDetails(directory: string, ctx: PluginContext): Promise<void> {
  let st;
  try {
    st = await stat(directory);
  } catch (err) {
    throw new ExitError(`cannot stat directory ${directory}: ${errorMessage(err)}`, undefined, { cause: err });
  }
  await writeAll(
    ctx.stdout,
    'device=/dev/null\n' +
      'snapshot-device=/dev/null\n' +
      'device-mount-point=null\n' +
      'filesystem-type=null\n' +
      `relative-copy-dir=;${st.mode};${st.uid};${st.gid}\n` +
      `snapshot-mount-point=${REPORTED_MOUNT_POINT}\n`,
  );
}

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

export async function runLocalAction(args: SnapshotArgs, ctx: PluginContext): Promise<void> {
  const dir = ctx.config.state.dir;
  const { logger } = ctx;
  switch (args.action) {
    case 'get-vm-device-details':
      return getVmDeviceDetails(args.options.get('directory') ?? '', ctx);
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
