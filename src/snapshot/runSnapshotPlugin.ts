import { errorMessage } from '../errors.js';
import type { PluginContext } from '../process/pluginContext.js';
import { describeArgs, parseSnapshotArgs, type SnapshotArgs } from './args.js';
import { writeAll } from '../protocol/io.js';
import { getVmDeviceDetails } from './deviceDetails.js';

// The snapshot plugin ZRM runs as inno-snapshot.pl (PROTOCOL.md §2). Returns the exit status;
// every failure is one line on stderr and status 1, which ZRM treats as a failed step.

export interface SnapshotContext extends PluginContext {
  /** stdout's file descriptor, when it is the process's own (CommandIo.stdoutFd). */
  stdoutFd?: number;
}

const NAME = 'inno-snapshot';

async function fail(ctx: SnapshotContext, what: string, err: unknown): Promise<number> {
  const message = errorMessage(err);
  ctx.logger.error(`${what}: failed: ${message}`);
  await writeAll(ctx.stderr, `${NAME}: ${message}\n`);
  return 1;
}

export async function runSnapshotPlugin(argv: string[], ctx: SnapshotContext): Promise<number> {
  let args: SnapshotArgs;
  try {
    args = parseSnapshotArgs(argv);
  } catch (err) {
    return fail(ctx, `snapshot arguments [${argv.join(' ')}]`, err);
  }
  const what = `snapshot ${args.action}`;
  const forwarded = args.options.has('host');
  ctx.logger.info(`${what} ${forwarded ? '(forwarded)' : '(local)'}: ${describeArgs(args)}`);
  try {
    // Loaded only when used: get-vm-device-details needs neither the forwarding code nor the
    // state files' (nor node:fs/promises, which loads readline and the stream modules).
    if (forwarded) await (await import('./forward.js')).forwardToHost(args, ctx);
    else if (args.action === 'get-vm-device-details') await getVmDeviceDetails(args, ctx);
    else await (await import('./actions.js')).runStateAction(args.action, ctx);
  } catch (err) {
    return fail(ctx, what, err);
  }
  ctx.logger.info(`${what}: ok`);
  return 0;
}
