// The first line of a connection, read without a StreamReader: what follows it may have to be
// handed to TLS (which takes the socket over) or back to the request reader (unshift).
import type { Readable } from 'node:stream';
import { ProtocolError } from '../errors.js';

/** The first line including its '\n'; null on EOF before a complete line. */
export function readRawLine(input: Readable, maxLength: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let length = 0;
    const done = (err: Error | null, line: Buffer | null): void => {
      input.removeListener('readable', onReadable);
      input.removeListener('end', onEnd);
      input.removeListener('error', onError);
      input.removeListener('close', onEnd);
      if (err) reject(err);
      else resolve(line);
    };
    const onReadable = (): void => {
      let chunk: Buffer | string | null;
      while ((chunk = input.read() as Buffer | string | null) !== null) {
        const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        const at = buf.indexOf(0x0a);
        if (at >= 0) {
          if (at + 1 < buf.length) input.unshift(buf.subarray(at + 1));
          parts.push(buf.subarray(0, at + 1));
          return done(null, Buffer.concat(parts));
        }
        parts.push(buf);
        length += buf.length;
        if (length > maxLength) return done(new ProtocolError(`first line longer than ${maxLength} bytes`), null);
      }
    };
    const onEnd = (): void => done(null, null);
    const onError = (err: Error): void => done(new ProtocolError(`read failed: ${err.message}`, { cause: err }), null);
    input.on('readable', onReadable);
    input.on('end', onEnd);
    input.on('close', onEnd);
    input.on('error', onError);
  });
}
