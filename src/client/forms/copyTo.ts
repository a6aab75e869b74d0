import { basename, dirname } from 'node:path';
import { ExitError } from '../../errors.js';
import { endWritable } from '../../protocol/io.js';
import { LegacySender } from '../../protocol/legacyFrames.js';
import { readStatusBlock } from '../../protocol/statusBlock.js';
import { V2Sender } from '../../protocol/v2Frames.js';
import { describeTarExit, startTarCreate } from '../../tar/tar.js';
import { awaitServerClose, finishAndWaitClose, type Conversation } from '../connection.js';

/** Uploads a tar of `sourceFile` (which must exist here) on an open `copy to` request. */
export async function sendFile(conv: Conversation, sourceFile: string): Promise<{ bytes: number; lines: string[] }> {
  const tar = startTarCreate(dirname(sourceFile), [basename(sourceFile)]);
  try {
    if (conv.protocol === 'legacy') {
      const sender = new LegacySender(conv.socket);
      for await (const chunk of tar.stdout) await sender.write(chunk);
      await sender.end();
      const r = await tar.done;
      await finishAndWaitClose(conv.socket);
      if (r.exitCode !== 0) throw new ExitError(describeTarExit('tar', r));
      return { bytes: sender.bytes, lines: [] };
    }
    const sender = new V2Sender(conv.socket);
    for await (const chunk of tar.stdout) await sender.write(chunk);
    const r = await tar.done;
    const ok = r.exitCode === 0;
    const trailer = await sender.end({ ok, exitCode: r.exitCode ?? null, message: ok ? 'tar completed' : describeTarExit('tar', r) });
    await endWritable(conv.socket);
    const status = await readStatusBlock(conv.reader);
    await awaitServerClose(conv.socket);
    if (!ok) throw new ExitError(describeTarExit('tar', r));
    if (!status.ok) throw new ExitError(`server: ${status.lines.join(' / ')}`);
    return { bytes: trailer.bytes, lines: status.lines };
  } finally {
    tar.kill();
    conv.socket.destroy();
  }
}
