import { open, rm } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { execa } from 'execa';
import { ExitError, errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { forwardedParameters, type SnapshotArgs } from './args.js';
import { writeAll } from '../protocol/io.js';
import { RUN_KEYS } from './runKey.js';
import { requireZrmConf } from './zrmConfFile.js';

// With --host the plugin does not act locally: like ZRM's SnapshotCommon it asks the copy plugin
// to have the socket server on that host run the same action there (PROTOCOL.md §2).

export const DEFAULT_COPY_PLUGIN = '/usr/share/mysql-zrm/plugins/socket-copy.palomino.pl';

/**
 * ZRM_CONF keys to forward besides user and password, which the copy plugin always adds: the
 * ones that tell one backup run from another on the database host (runKey.ts).
 */
const FORWARDED_KEYS: readonly string[] = RUN_KEYS;

export interface ForwardContext {
  env: NodeJS.ProcessEnv;
  logger: Logger;
  stdout: Writable;
  stderr: Writable;
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

export async function forwardToHost(args: SnapshotArgs, ctx: ForwardContext): Promise<void> {
  const host = args.options.get('host') ?? '';
  if (host === '') throw new ExitError('--host is empty');
  const params = forwardedParameters(args);
  const conf = await requireZrmConf(ctx.env, `forward ${args.action} to ${host}`);
  const copyPlugin = conf.get('copy-plugin')?.trim() || DEFAULT_COPY_PLUGIN;
  const keyList = `${ctx.env.ZRM_CONF}.rmot`;
  try {
    await writeKeyList(keyList, FORWARDED_KEYS);
    ctx.logger.info(`forwarding ${args.action} to ${host} through ${copyPlugin}`);
    const result = await execa(copyPlugin, ['--snapshot-command', '--host', host, '--snapshot-parameters', params], {
      env: { ...ctx.env, SNAPSHOT_CONF: keyList },
      extendEnv: false,
      stdin: 'ignore',
      encoding: 'buffer',
      stripFinalNewline: false,
      reject: false,
    });
    // ZRM reads get-vm-device-details' answer from our stdout: pass it on byte for byte.
    await writeAll(ctx.stdout, Buffer.from(result.stdout));
    await writeAll(ctx.stderr, Buffer.from(result.stderr));
    if (result.failed) {
      const why =
        result.exitCode !== undefined ? `exit status ${result.exitCode}`
        : result.signal !== undefined ? `signal ${result.signal}`
        : (result.originalMessage ?? result.shortMessage);
      throw new ExitError(`${args.action} on ${host} failed: copy plugin ${copyPlugin}: ${why}`);
    }
  } catch (err) {
    if (err instanceof ExitError) throw err;
    throw new ExitError(`cannot forward ${args.action} to ${host}: ${errorMessage(err)}`, undefined, { cause: err });
  } finally {
    await rm(keyList, { force: true });
  }
}
