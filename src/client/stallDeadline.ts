import type { Socket } from 'node:net';
import { ExitError } from '../errors.js';
import { armSilenceDeadline } from '../net/silenceDeadline.js';

/** From now on, `seconds` without a byte on `socket` fails it naming stall_timeout. */
function arm(socket: Socket, where: string, seconds: number): void {
  armSilenceDeadline(socket, seconds, () => new ExitError(`the server stalled: no data from ${where} for ${seconds} s mid-stream ([client] stall_timeout)`));
}

/**
 * The client's stall deadline ([client] stall_timeout): a server that stops sending but keeps the
 * socket open (stopped, wedged) fails the copy after `seconds` instead of holding ZRM for the
 * whole idle_timeout. A v2 stream is watched from its greeting on (the tool's output follows at
 * once); a 1.8b5 one from its first frame, as our server stages the whole backup before it sends
 * a byte (until then idle_timeout alone counts).
 */
export function withStallDeadline<T>(frames: AsyncIterable<T>, socket: Socket, where: string, seconds: number, fromStart = false): AsyncIterable<T> {
  if (!fromStart) return armedAtFirstFrame(frames, socket, where, seconds);
  // Armed now, and the frames pass untouched: no generator step per frame on the v2 stream.
  arm(socket, where, seconds);
  return frames;
}

async function* armedAtFirstFrame<T>(frames: AsyncIterable<T>, socket: Socket, where: string, seconds: number): AsyncGenerator<T> {
  let armed = false;
  for await (const frame of frames) {
    if (!armed) {
      armed = true;
      arm(socket, where, seconds);
    }
    yield frame;
  }
}
