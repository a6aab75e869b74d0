// The reply to snapshot, create-link, copy between (and, in v2, every non-data action):
// SUCCESS or ERROR, a line with the count N, then N lines.
import { ProtocolError } from '../errors.js';
import type { StreamReader } from './streamReader.js';

const DEFAULT_MAX_STATUS_LINES = 100000;

/**
 * Each entry is one line, as Perl's list of `command` output lines: one trailing '\n' is
 * dropped, and an entry holding further '\n's becomes several lines. N counts the lines sent.
 */
export function formatStatusBlock(ok: boolean, lines: readonly string[]): string {
  const out: string[] = [];
  for (const entry of lines) {
    const body = entry.endsWith('\n') ? entry.slice(0, -1) : entry;
    for (const line of body.split('\n')) out.push(line);
  }
  let text = `${ok ? 'SUCCESS' : 'ERROR'}\n${out.length}\n`;
  for (const line of out) text += `${line}\n`;
  return text;
}

export async function readStatusBlock(
  reader: StreamReader,
  maxLines = DEFAULT_MAX_STATUS_LINES,
): Promise<{ ok: boolean; lines: string[] }> {
  const status = await reader.readLine();
  if (status === null) throw new ProtocolError('connection closed before the status reply');
  if (status !== 'SUCCESS' && status !== 'ERROR') {
    throw new ProtocolError(`status reply must start with SUCCESS or ERROR, not ${JSON.stringify(status.slice(0, 80))}`);
  }
  const countLine = await reader.readLine(32);
  if (countLine === null) throw new ProtocolError('connection closed before the status line count');
  if (!/^\d{1,15}$/.test(countLine)) {
    throw new ProtocolError(`status line count is not a number: ${JSON.stringify(countLine)}`);
  }
  const count = Number(countLine);
  if (count > maxLines) throw new ProtocolError(`status reply announces ${count} lines, more than the limit of ${maxLines}`);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    const line = await reader.readLine();
    if (line === null) throw new ProtocolError(`connection closed after ${i} of ${count} status lines`);
    lines.push(line);
  }
  return { ok: status === 'SUCCESS', lines };
}
