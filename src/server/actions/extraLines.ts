import { ProtocolError } from '../../errors.js';
import type { StreamReader } from '../../protocol/streamReader.js';

const MAX_LINES = 100_000;

/** Reads a count line and that many lines (create-link, snapshot). */
export async function readCountedLines(reader: StreamReader, what: string): Promise<string[]> {
  const countLine = await reader.readLine();
  if (countLine === null || !/^\d+$/.test(countLine.trim())) {
    throw new ProtocolError(`${what}: expected a line count, got ${countLine === null ? 'end of stream' : `'${countLine}'`}`);
  }
  const n = Number(countLine.trim());
  if (n > MAX_LINES) throw new ProtocolError(`${what}: ${n} lines is more than the ${MAX_LINES} allowed`);
  const lines: string[] = [];
  for (let i = 0; i < n; i++) {
    const line = await reader.readLine();
    if (line === null) throw new ProtocolError(`${what}: stream ended after ${i} of ${n} lines`);
    if (line.includes('\0')) throw new ProtocolError(`${what}: line ${i + 1} contains a NUL byte`);
    lines.push(line);
  }
  return lines;
}

export async function readLine(reader: StreamReader, what: string): Promise<string> {
  const line = await reader.readLine();
  if (line === null) throw new ProtocolError(`${what}: stream ended early`);
  return line;
}
