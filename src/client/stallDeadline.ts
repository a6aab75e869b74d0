import type { Socket } from 'node:net';
import { ExitError } from '../errors.js';

/**
 * The client's stall deadline ([client] stall_timeout): once a data stream has started, a server
 * that stops sending but keeps the socket open (stopped, wedged) fails the copy after `seconds`
 * instead of holding ZRM for the whole idle_timeout. Before the first byte idle_timeout alone
 * counts: a 1.8b5 stream from our server starts only once the whole backup is staged.
 */
export async function* withStallDeadline<T>(frames: AsyncIterable<T>, socket: Socket, where: string, seconds: number): AsyncGenerator<T> {
  let armed = false;
  for await (const frame of frames) {
    if (!armed) {
      armed = true;
      socket.removeAllListeners('timeout'); // idle_timeout's, set when the connection opened
      socket.setTimeout(seconds * 1000, () =>
        socket.destroy(new ExitError(`the server stalled: no data from ${where} for ${seconds} s mid-stream ([client] stall_timeout)`)),
      );
    }
    yield frame;
  }
}
