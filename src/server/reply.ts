import { writeAll } from '../protocol/io.js';
import { formatOkDetails, hasOkDetails } from '../protocol/versions.js';
import { pickEncoding } from '../protocol/compression.js';
import { estimateBackupSize } from './datadirSize.js';
import { formatStatusBlock } from '../protocol/statusBlock.js';
import type { Outcome, Session, WireProtocol } from './context.js';
import type { Writable } from 'node:stream';

/** v2 only: the line that answers the request header. */
export async function sendV2Greeting(s: Session, detail: string): Promise<void> {
  if (s.protocol === 'v2') await writeAll(s.output, `OK${detail ? ` ${detail}` : ''}\n`);
}

/**
 * v2 only: the OK line before a data stream the server sends. A 2.0 client gets exactly
 * `OK <format>`, all it understands; 2.1 and later get `details` too, and a 2.2 client that
 * offered encodings the one chosen here (`compression=gzip:1`, then kept in s.encoding for
 * sendStream), unless [server] compression = no.
 */
export async function sendStreamGreeting(s: Session, format: string, details: Readonly<Record<string, string | number | undefined>> = {}): Promise<void> {
  if (s.protocol !== 'v2') return;
  if (!hasOkDetails(s.header.version)) return sendV2Greeting(s, format);
  const encoding = s.deps.config.server.compression ? pickEncoding(s.header.encodings ?? []) : undefined;
  if (encoding) s.encoding = encoding;
  await sendV2Greeting(s, formatOkDetails(format, { ...details, compression: encoding?.token }));
}

/** v2 only: the OK line before a backup tool's stream; 2.1 and later also learn the database's size (a progress estimate). */
export async function sendBackupGreeting(s: Session, format: string): Promise<void> {
  if (s.protocol !== 'v2') return;
  const size = hasOkDetails(s.header.version) ? await estimateBackupSize(s.deps.config).catch(() => undefined) : undefined;
  await sendStreamGreeting(s, format, { size });
}

/**
 * v2 only: the `ERROR <message>` line that answers a refused request, always one line (a message
 * holding a newline would let the rest pass for protocol). A 1.8b5 client has no way to hear
 * it: it is only hung up on, as the old server did.
 */
export async function sendV2Error(to: { protocol: WireProtocol | undefined; output: Writable }, message: string): Promise<void> {
  if (to.protocol !== 'v2') return;
  await writeAll(to.output, `ERROR ${message.replace(/[\r\n]+/g, ' ')}\n`);
}

/**
 * Refuses a request that has not started its data: logged, told to a v2 client as an `ERROR`
 * line. A 1.8b5 client cannot hear an error: it gets an empty stream, which our own client rejects.
 */
export async function refuseRequest(s: Session, message: string): Promise<Outcome> {
  s.deps.logger.error(message);
  await sendV2Error(s, message);
  return { ok: false, detail: message };
}

export async function sendStatus(s: Session, ok: boolean, lines: readonly string[]): Promise<void> {
  await writeAll(s.output, formatStatusBlock(ok, lines));
}
