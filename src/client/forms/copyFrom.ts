import { stat } from 'node:fs/promises';
import type { StreamFormat } from '../../protocol/streamFormat.js';
import { ExitError, ProtocolError } from '../../errors.js';
import { readLegacyFrames } from '../../protocol/legacyFrames.js';
import { readV2Frames, type Trailer } from '../../protocol/v2Frames.js';
import { receiveIntoDir } from '../../transfer/receiveIntoDir.js';
import { awaitServerClose, type Conversation } from '../connection.js';
import { withStallDeadline } from '../stallDeadline.js';

export async function requireLocalDir(dir: string): Promise<void> {
  const st = await stat(dir).catch(() => undefined);
  if (!st?.isDirectory()) throw new ExitError(`destination directory '${dir}' does not exist here`);
}

/** Passes the chunks on, telling `onBytes` each one's size (a progress line). */
async function* tapped(source: AsyncIterable<Buffer>, onBytes: (n: number) => void): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    onBytes(chunk.length);
    yield chunk;
  }
}

/** Receives a data stream (copy from, mysqlhotcopy) into `dest`; verified before it is moved in. */
export async function receiveStream(conv: Conversation, dest: string, opts: { maxFileSize?: bigint; stallTimeout?: number; onBytes?: (n: number) => void } = {}): Promise<{ bytes: number; format: StreamFormat; sha256?: string }> {
  let format: StreamFormat = 'tar';
  if (conv.protocol === 'v2') {
    if (conv.greeting !== 'tar' && conv.greeting !== 'xbstream') throw new ProtocolError(`unknown stream format '${conv.greeting}'`);
    format = conv.greeting;
  }
  // The v2 trailer (checked by readV2Frames) is kept for the backup's metadata.
  let trailer: Trailer | undefined;
  const framed = conv.protocol === 'v2'
    ? readV2Frames(conv.reader, { backgroundHash: true, onTrailer: (t) => { trailer = t; } })
    : readLegacyFrames(conv.reader);
  const where = `${conv.socket.remoteAddress ?? '?'}:${conv.socket.remotePort ?? '?'}`;
  const guarded = opts.stallTimeout === undefined ? framed : withStallDeadline(framed, conv.socket, where, opts.stallTimeout, conv.protocol === 'v2');
  const frames = opts.onBytes ? tapped(guarded, opts.onBytes) : guarded;
  try {
    // 1.8b5 has no end marker: only tar's own end-of-archive blocks tell a whole stream from a cut one.
    const r = await receiveIntoDir(frames, format, dest, { ...(opts.maxFileSize === undefined ? {} : { maxFileSize: opts.maxFileSize }), requireTarEnd: conv.protocol === 'legacy' });
    return { bytes: r.bytes, format, ...(trailer ? { sha256: trailer.sha256 } : {}) };
  } finally {
    // Failed or not: give the server its moment to log and hang up before ZRM's next call.
    await awaitServerClose(conv.socket);
    conv.socket.destroy();
  }
}
