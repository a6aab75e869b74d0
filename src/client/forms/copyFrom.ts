import { stat } from 'node:fs/promises';
import type { StreamFormat } from '../../protocol/streamFormat.js';
import { ExitError, ProtocolError } from '../../errors.js';
import { readLegacyFrames } from '../../protocol/legacyFrames.js';
import { readV2Frames, type Trailer } from '../../protocol/v2Frames.js';
import { parseEncoding, runtimeHas, type Encoding } from '../../protocol/compression.js';
import { readCompressedV2 } from '../../protocol/compressionFrames.js';
import { HOT_BACKUP_FILES } from '../../restore/backupFiles.js';
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

/** The encoding the server's OK line announced (2.2), if any; one we cannot decode is a protocol error. */
function announcedEncoding(conv: Conversation): Encoding | undefined {
  const token = conv.details.get('compression');
  if (token === undefined) return undefined;
  const encoding = parseEncoding(token);
  if (!encoding || !runtimeHas(encoding.codec)) throw new ProtocolError(`the server chose compression '${token}', which this client cannot decode`);
  return encoding;
}

export interface Received {
  bytes: number;
  format: StreamFormat;
  sha256?: string;
  /** 2.2: the encoding the stream travelled in, and the bytes its frames carried. */
  compression?: string;
  wireBytes?: number;
}

export interface ReceiveStreamOptions {
  maxFileSize?: bigint;
  stallTimeout?: number;
  onBytes?: (n: number) => void;
  /** The stream is a hot backup (ZRM_LINKS of an armed run, mysqlhotcopy): it must carry what every whole one does. */
  hotBackup?: boolean;
}

/**
 * Receives a data stream (copy from, mysqlhotcopy) into `dest`; verified before it is moved in.
 * An xbstream is always a backup tool's; a hot backup without its checkpoints, backup-my.cnf and
 * info file is a cut one.
 */
export async function receiveStream(conv: Conversation, dest: string, opts: ReceiveStreamOptions = {}): Promise<Received> {
  try {
    let format: StreamFormat = 'tar';
    let encoding: Encoding | undefined;
    if (conv.protocol === 'v2') {
      if (conv.greeting !== 'tar' && conv.greeting !== 'xbstream') throw new ProtocolError(`unknown stream format '${conv.greeting}'`);
      format = conv.greeting;
      encoding = announcedEncoding(conv);
    }
    // The v2 trailer (checked by readV2Frames / readCompressedV2) is kept for the backup's metadata.
    let trailer: Trailer | undefined;
    const checked = { backgroundHash: true, onTrailer: (t: Trailer) => { trailer = t; } };
    const framed = conv.protocol === 'legacy'
      ? readLegacyFrames(conv.reader, { reuseBuffer: true })
      : encoding ? readCompressedV2(conv.reader, encoding.codec, checked) : readV2Frames(conv.reader, checked);
    const where = `${conv.socket.remoteAddress ?? '?'}:${conv.socket.remotePort ?? '?'}`;
    const guarded = opts.stallTimeout === undefined ? framed : withStallDeadline(framed, conv.socket, where, opts.stallTimeout, conv.protocol === 'v2');
    const frames = opts.onBytes ? tapped(guarded, opts.onBytes) : guarded;
    // 1.8b5 has no end marker: only tar's own end-of-archive blocks tell a whole stream from a cut one.
    const r = await receiveIntoDir(frames, format, dest, {
      ...(opts.maxFileSize === undefined ? {} : { maxFileSize: opts.maxFileSize }),
      requireTarEnd: conv.protocol === 'legacy',
      ...(opts.hotBackup === true || format === 'xbstream' ? { requireFiles: HOT_BACKUP_FILES } : {}),
    });
    const t = trailer as Trailer | undefined;
    return {
      bytes: r.bytes,
      format,
      ...(t ? { sha256: t.sha256 } : {}),
      ...(encoding && t?.wireBytes !== undefined ? { compression: encoding.token, wireBytes: t.wireBytes } : {}),
    };
  } finally {
    // Failed or not: give the server its moment to log and hang up before ZRM's next call.
    await awaitServerClose(conv.socket);
    conv.socket.destroy();
  }
}
