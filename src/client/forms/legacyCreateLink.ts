import { writeAll } from '../../protocol/io.js';
import { awaitServerClose, type Conversation } from '../connection.js';
import type { CopyContext } from '../context.js';
import { printLines } from '../output.js';
import { countedLines } from './statusRequest.js';

// create-link toward a 1.8b5 server. On a real database host its create-link usually fails: the
// backup host's path does not exist there and `mysql` may not create it, so Perl's mkpath dies
// and its message reaches the socket instead of a status block. The 1.8b5 client printed it and
// exited 0, and ZRM went on: the armed backup redirect does not need the links. We do the same,
// as a warning. (Our own server always answers with a status block; v2 stays strict.)

const MAX_LINES = 1000;

async function restOfReply(conv: Conversation): Promise<string[]> {
  const lines: string[] = [];
  for (let l = await conv.reader.readLine(); l !== null && lines.length < MAX_LINES; l = await conv.reader.readLine()) lines.push(l);
  return lines;
}

export async function legacyCreateLink(conv: Conversation, links: readonly string[], ctx: CopyContext): Promise<number> {
  try {
    await writeAll(conv.socket, countedLines(links));
    const first = await conv.reader.readLine().catch(() => null);
    if (first === 'SUCCESS' || first === 'ERROR') {
      const count = Number(await conv.reader.readLine(32));
      const lines: string[] = [];
      for (let i = 0; i < count; i++) {
        const line = await conv.reader.readLine();
        if (line === null) break;
        lines.push(line);
      }
      await awaitServerClose(conv.socket);
      await printLines(first === 'SUCCESS' ? ctx.stdout : ctx.stderr, lines);
      if (first === 'ERROR') ctx.logger.error(`create-link failed on the server: ${lines.join(' / ')}`);
      return first === 'SUCCESS' ? 0 : 1;
    }
    const said = first === null ? ['(no reply)'] : [first, ...(await restOfReply(conv).catch(() => []))];
    const warning = `create-link: warning: the 1.8b5 server did not answer with a status: ${said.join(' / ')} (ignored, as the 1.8b5 plugin did)`;
    ctx.logger.warn(warning);
    await printLines(ctx.stderr, [warning]);
    return 0;
  } finally {
    conv.socket.destroy();
  }
}
