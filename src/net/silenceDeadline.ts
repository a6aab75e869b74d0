import type { Socket } from 'node:net';

/**
 * From now on, `seconds` without a byte in or out of `socket` destroys it with `error()`, in
 * place of the idle_timeout handler set when the connection opened: a peer that stops sending
 * mid-stream fails the stream soon, instead of holding the other end for the whole idle_timeout.
 */
export function armSilenceDeadline(socket: Socket, seconds: number, error: () => Error): void {
  socket.removeAllListeners('timeout');
  socket.setTimeout(seconds * 1000, () => socket.destroy(error()));
}
