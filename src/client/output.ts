import type { Writable } from 'node:stream';
import { writeAll } from '../protocol/io.js';

export async function printLines(out: Writable, lines: readonly string[]): Promise<void> {
  if (lines.length > 0) await writeAll(out, lines.map((l) => `${l}\n`).join(''));
}
