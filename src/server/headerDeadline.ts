import type { Readable } from 'node:stream';
import { ProtocolError } from '../errors.js';

// A client that sends its request a byte at a time would otherwise hold the connection (and
// an xinetd instance) for ever: idle_timeout only notices silence. The whole request, header
// and extra lines, must arrive within `seconds`; after that the connection is dropped.

export interface HeaderDeadline {
  /** The request is all read: no deadline any more (idempotent). */
  stop: () => void;
  expired: () => boolean;
  /** Why the connection was dropped, for the log. */
  message: () => string;
}

export function startHeaderDeadline(input: Readable, seconds: number): HeaderDeadline {
  let fired = false;
  const text = `the request was not complete within header_timeout (${seconds}s): connection dropped`;
  const timer = setTimeout(() => {
    fired = true;
    // Whoever reads the input learns it from a failed read; nothing else must see it as a crash.
    input.on('error', () => undefined);
    input.destroy(new ProtocolError(text));
  }, seconds * 1000);
  return {
    stop: () => clearTimeout(timer),
    expired: () => fired,
    message: () => text,
  };
}
