import { open, rm } from 'node:fs/promises';
import { ExitError, errorMessage } from '../errors.js';
import type { PluginContext } from '../process/pluginContext.js';
import { forwardedParameters, type SnapshotArgs } from './args.js';
import { writeAll } from '../protocol/io.js';
import { RUN_KEYS } from './runKey.js';
import { isOurCopyPlugin, runCopyPluginInProcess } from './forwardInProcess.js';
import { requireZrmConf } from './zrmConfFile.js';

// With --host the plugin does not act locally: like ZRM's SnapshotCommon it asks the copy plugin
// to have the socket server on that host run the same action there (PROTOCOL.md §2).

const DEFAULT_COPY_PLUGIN = '/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl';

/**
 * ZRM_CONF keys to forward besides user and password, which the copy plugin always adds: the
 * ones that tell one backup run from another on the database host (runKey.ts).
 */
const FORWARDED_KEYS: readonly string[] = RUN_KEYS;

interface CopyPluginRun {
  failed: boolean;
  why: string;
}

/** Spawns the configured copy plugin (anyone's) and relays its output byte for byte. */
async function spawnCopyPlugin(copyPlugin: string, argv: string[], env: NodeJS.ProcessEnv, ctx: PluginContext): Promise<CopyPluginRun> {
  // Loaded only here: a plugin acting locally never starts a program.
  const run = ctx.run ?? (await import('execa')).execa;
  const result = await run(copyPlugin, argv, {
    env,
    extendEnv: false,
    stdin: 'ignore',
    encoding: 'buffer',
    stripFinalNewline: false,
    reject: false,
  });
  // ZRM reads get-vm-device-details' answer from our stdout: pass it on byte for byte.
  await writeAll(ctx.stdout, Buffer.from(result.stdout));
  await writeAll(ctx.stderr, Buffer.from(result.stderr));
  const why =
    result.exitCode !== undefined ? `exit status ${result.exitCode}`
    : result.signal !== undefined ? `signal ${result.signal}`
    : (result.originalMessage ?? result.shortMessage ?? '');
  return { failed: result.failed, why };
}

/** Creates the .rmot file afresh (never through a planted file or symlink), private to us. */
async function writeKeyList(path: string, keys: readonly string[]): Promise<void> {
  await rm(path, { force: true });
  const fh = await open(path, 'wx', 0o600);
  try {
    await fh.writeFile(keys.map((k) => `${k}\n`).join(''));
  } finally {
    await fh.close();
  }
}

export async function forwardToHost(args: SnapshotArgs, ctx: PluginContext): Promise<void> {
  const host = args.options.get('host') ?? '';
  if (host === '') throw new ExitError('--host is empty');
  const params = forwardedParameters(args);
  const conf = await requireZrmConf(ctx.env, `forward ${args.action} to ${host}`);
  const copyPlugin = conf.get('copy-plugin')?.trim() || DEFAULT_COPY_PLUGIN;
  const keyList = `${ctx.env.ZRM_CONF}.rmot`;
  try {
    await writeKeyList(keyList, FORWARDED_KEYS);
    ctx.logger.info(`forwarding ${args.action} to ${host} through ${copyPlugin}`);
    const argv = ['--snapshot-command', '--host', host, '--snapshot-parameters', params];
    const env = { ...ctx.env, SNAPSHOT_CONF: keyList };
    let run: CopyPluginRun;
    // Our own copy plugin runs in this process instead of a new one.
    if (await isOurCopyPlugin(copyPlugin)) {
      const code = await runCopyPluginInProcess(argv, { env, config: ctx.config, logger: ctx.logger, stdout: ctx.stdout, stderr: ctx.stderr, run: ctx.run });
      run = { failed: code !== 0, why: `exit status ${code}` };
    } else {
      run = await spawnCopyPlugin(copyPlugin, argv, env, ctx);
    }
    if (run.failed) throw new ExitError(`${args.action} on ${host} failed: copy plugin ${copyPlugin}: ${run.why}`);
  } catch (err) {
    if (err instanceof ExitError) throw err;
    throw new ExitError(`cannot forward ${args.action} to ${host}: ${errorMessage(err)}`, undefined, { cause: err });
  } finally {
    await rm(keyList, { force: true });
  }
}
