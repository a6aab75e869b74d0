import { basename, dirname } from 'node:path';
import { ExitError } from '../../errors.js';
import { endWritable } from '../../protocol/io.js';
import { LegacySender } from '../../protocol/legacyFrames.js';
import { readStatusBlock } from '../../protocol/statusBlock.js';
import { V2Sender } from '../../protocol/v2Frames.js';
import type { Runner } from '../../process/runner.js';
import { startTarCreate, tarStatus } from '../../tar/tar.js';
import { awaitServerClose, type Conversation } from '../connection.js';

/** Uploads a tar of `sourceFile` (which must exist here) on an open `copy to` request. */
export async function sendFile(conv: Conversation, sourceFile: string, run?: Runner): Promise<{ bytes: number; lines: string[] }> {
  const tar = startTarCreate(dirname(sourceFile), [basename(sourceFile)], { run });
  try {
    if (conv.protocol === 'legacy') {
      const sender = new LegacySender(conv.socket);
      for await (const chunk of tar.stdout) await sender.write(chunk);
      await sender.end();
      const produced = await tarStatus(tar);
      await endWritable(conv.socket);
      const said = await legacyUploadVerdict(conv);
      if (!produced.ok) throw new ExitError(produced.message);
      if (said !== null) throw new ExitError(`the server could not store the upload: ${said}`);
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

/**
 * 1.8b5 has no reply to an upload: a server that succeeded just hangs up. Ours says why it failed
 * before it hangs up; a reset says so too. Null: a clean hang-up without a word.
 */
async function legacyUploadVerdict(conv: Conversation): Promise<string | null> {
  try {
    const first = await conv.reader.readLine(64 * 1024);
    if (first === null) return null;
    const rest: string[] = [];
    for (let line = await conv.reader.readLine(64 * 1024); line !== null; line = await conv.reader.readLine(64 * 1024)) rest.push(line);
    return (first === 'ERROR' ? rest.slice(1) : [first, ...rest]).join(' / ') || first;
  } catch (err) {
    return `the connection broke before the server hung up (${(err as Error).message})`;
  }
}
