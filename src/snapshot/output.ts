import type { Writable } from 'node:stream';

/** Writes and waits until the stream has taken the data (a socket or pipe may still be busy). */
export function writeAll(stream: Writable, data: string | Uint8Array): Promise<void> {
  if (data.length === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    stream.write(data, (err) => (err ? reject(err) : resolve()));
  });
}
