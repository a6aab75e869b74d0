import { errorMessage } from '../errors.js';
import type { PluginContext } from '../process/pluginContext.js';
import { describeArgs, parseSnapshotArgs, type SnapshotArgs } from './args.js';
import { runLocalAction } from './actions.js';
import { forwardToHost } from './forward.js';
import { writeAll } from '../protocol/io.js';

// The snapshot plugin ZRM runs as inno-snapshot.pl (PROTOCOL.md §2). Returns the exit status;
// every failure is one line on stderr and status 1, which ZRM treats as a failed step.

export type SnapshotContext = PluginContext;

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
    if (forwarded) await forwardToHost(args, ctx);
    else await runLocalAction(args, ctx);
  } catch (err) {
    return fail(ctx, what, err);
  }
  ctx.logger.info(`${what}: ok`);
  return 0;
}
