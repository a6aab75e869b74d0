import { basename, dirname } from 'node:path';
import { ExitError } from '../../errors.js';
import { endWritable } from '../../protocol/io.js';
import { LegacySender } from '../../protocol/legacyFrames.js';
import { readStatusBlock } from '../../protocol/statusBlock.js';
import { V2Sender } from '../../protocol/v2Frames.js';
import { startTarCreate, tarStatus } from '../../tar/tar.js';
import { awaitServerClose, finishAndWaitClose, type Conversation } from '../connection.js';

/** Uploads a tar of `sourceFile` (which must exist here) on an open `copy to` request. */
export async function sendFile(conv: Conversation, sourceFile: string): Promise<{ bytes: number; lines: string[] }> {
  const tar = startTarCreate(dirname(sourceFile), [basename(sourceFile)]);
  try {
    if (conv.protocol === 'legacy') {
      const sender = new LegacySender(conv.socket);
      for await (const chunk of tar.stdout) await sender.write(chunk);
      await sender.end();
      const produced = await tarStatus(tar);
      await finishAndWaitClose(conv.socket);
      if (!produced.ok) throw new ExitError(produced.message);
      return { bytes: sender.bytes, lines: [] };
    }
    const sender = new V2Sender(conv.socket);
    for await (const chunk of tar.stdout) await sender.write(chunk);
    const produced = await tarStatus(tar);
    const trailer = await sender.end(produced);
    await endWritable(conv.socket);
    const status = await readStatusBlock(conv.reader);
    await awaitServerClose(conv.socket);
    if (!produced.ok) throw new ExitError(produced.message);
    if (!status.ok) throw new ExitError(`server: ${status.lines.join(' / ')}`);
    return { bytes: trailer.bytes, lines: status.lines };
  } finally {
    tar.kill();
    conv.socket.destroy();
  }
}
