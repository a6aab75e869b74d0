import { writeAll } from '../protocol/io.js';
import { formatStatusBlock } from '../protocol/statusBlock.js';
import type { Session } from './context.js';

/** v2 only: the line that answers the request header. */
export async function sendV2Greeting(s: Session, detail: string): Promise<void> {
  if (s.protocol === 'v2') await writeAll(s.output, `OK${detail ? ` ${detail}` : ''}\n`);
}

export async function sendStatus(s: Session, ok: boolean, lines: readonly string[]): Promise<void> {
  await writeAll(s.output, formatStatusBlock(ok, lines));
}
