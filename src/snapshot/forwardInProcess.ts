// When ZRM's copy-plugin is our own socket-copy.palomino.pl, the forwarding snapshot plugin runs
// the copy plugin's code in this process instead of starting another Node (about a third of a
// forwarded call's time): the same code, so the same request goes on the wire.
import { open } from 'node:fs/promises';
import { basename } from 'node:path';
import { ExitError, errorMessage } from '../errors.js';
import type { PluginContext } from '../process/pluginContext.js';
import { writeAll } from '../protocol/io.js';

const OUR_COPY_PLUGIN = 'socket-copy.palomino.pl';

/** The first bytes of a file, or '' if it cannot be read (not there: the packaged name is ours). */
async function fileHead(path: string): Promise<string> {
  try {
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(128);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      return buf.toString('latin1', 0, bytesRead);
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

/**
 * True when `copyPlugin` is ours: its file name is socket-copy.palomino.pl and it is not the
 * original Perl program of that name (a user may keep the 1.8b5 one configured).
 */
export async function isOurCopyPlugin(copyPlugin: string): Promise<boolean> {
  if (basename(copyPlugin) !== OUR_COPY_PLUGIN) return false;
  const first = (await fileHead(copyPlugin)).split('\n', 1)[0] ?? '';
  return !(first.startsWith('#!') && first.includes('perl'));
}

/**
 * Runs our copy plugin with `argv` here, as if spawned with `ctx.env`: its output goes to
 * ctx.stdout / ctx.stderr, a failure is one line on stderr. Resolves to its exit status.
 */
export async function runCopyPluginInProcess(argv: readonly string[], ctx: PluginContext): Promise<number> {
  // Loaded only here: a snapshot plugin acting locally never needs the client's code.
  const { runCopyPlugin } = await import('../client/index.js');
  try {
    return await runCopyPlugin(argv, ctx);
  } catch (err) {
    await writeAll(ctx.stderr, `socket-copy: ${errorMessage(err)}\n`);
    return err instanceof ExitError ? err.exitCode : 1;
  }
}
