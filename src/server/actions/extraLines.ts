import { ProtocolError } from '../../errors.js';
import type { StreamReader } from '../../protocol/streamReader.js';
import { MAX_EXTRA_BYTES, MAX_EXTRA_LINE, MAX_EXTRA_LINES } from '../limits.js';

/**
 * Reads a count line and that many lines (create-link, snapshot). Refused as soon as the count,
 * a line or their total passes the bounds of limits.ts, before more is buffered.
 */
export async function readCountedLines(reader: StreamReader, what: string): Promise<string[]> {
  const countLine = await reader.readLine(32).catch((err: unknown) => {
    if (err instanceof ProtocolError && /longer than/.test(err.message)) return 'a line of more than 32 bytes';
    throw err;
  });
  if (countLine === null || !/^\d+$/.test(countLine.trim())) {
    throw new ProtocolError(`${what}: expected a line count, got ${countLine === null ? 'end of stream' : `'${countLine}'`}`);
  }
  const n = Number(countLine.trim());
  if (n > MAX_EXTRA_LINES) throw new ProtocolError(`${what}: ${n} lines is more than the ${MAX_EXTRA_LINES} allowed`);
  const lines: string[] = [];
  let total = 0;
  for (let i = 0; i < n; i++) {
    const left = MAX_EXTRA_BYTES - total;
    const line = await reader.readLine(Math.min(MAX_EXTRA_LINE, left)).catch((err: unknown) => {
      if (err instanceof ProtocolError && /longer than/.test(err.message)) {
        throw new ProtocolError(
          left < MAX_EXTRA_LINE
            ? `${what}: more than the ${MAX_EXTRA_BYTES} bytes allowed in all`
            : `${what}: line ${i + 1} is longer than the ${MAX_EXTRA_LINE} bytes allowed`,
        );
      }
      throw err;
    });
    if (line === null) throw new ProtocolError(`${what}: stream ended after ${i} of ${n} lines`);
    if (line.includes('\0')) throw new ProtocolError(`${what}: line ${i + 1} contains a NUL byte`);
    total += Buffer.byteLength(line) + 1;
    lines.push(line);
  }
  return lines;
}

export async function readLine(reader: StreamReader, what: string): Promise<string> {
  const line = await reader.readLine(MAX_EXTRA_LINE);
  if (line === null) throw new ProtocolError(`${what}: stream ended early`);
  return line;
}
