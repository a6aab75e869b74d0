import { ExitError } from '../../errors.js';
import { writeAll } from '../../protocol/io.js';
import { readStatusBlock } from '../../protocol/statusBlock.js';
import { awaitServerClose, type Conversation } from '../connection.js';
import type { CopyContext } from '../context.js';
import { printLines } from '../output.js';

/**
 * Sends the action's extra lines and relays the status block: the command's stdout on
 * SUCCESS, its stderr on ERROR (then exit 1), as ZRM expects from the copy plugin.
 */
export async function exchangeStatus(conv: Conversation, extra: string, ctx: CopyContext, what: string): Promise<number> {
  try {
    if (extra !== '') await writeAll(conv.socket, extra);
    const status = await readStatusBlock(conv.reader);
    await awaitServerClose(conv.socket);
    if (status.ok) {
      await printLines(ctx.stdout, status.lines);
      return 0;
    }
    await printLines(ctx.stderr, status.lines);
    ctx.logger.error(`${what} failed on the server: ${status.lines.join(' / ')}`);
    return 1;
  } catch (err) {
    if (err instanceof ExitError) throw new ExitError(`${what}: ${err.message}`, err.exitCode, { cause: err });
    throw err;
  } finally {
    conv.socket.destroy();
  }
}

export function countedLines(lines: readonly string[]): string {
  return `${lines.length}\n${lines.map((l) => `${l}\n`).join('')}`;
}
