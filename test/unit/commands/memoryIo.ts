import { PassThrough } from 'node:stream';
import type { CommandIo } from '../../../src/commands/io.js';

/** A CommandIo whose stdout and stderr are kept in memory. */
export function memoryIo(env: NodeJS.ProcessEnv = {}): CommandIo & { out: () => string; err: () => string } {
  const collect = () => {
    const stream = new PassThrough();
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
  };
  const stdout = collect();
  const stderr = collect();
  return { env, stdout: stdout.stream, stderr: stderr.stream, out: stdout.text, err: stderr.text };
}
