import type { Readable } from 'node:stream';

/**
 * Takes hold of a child's stdout at once. execa (with `buffer: false`) resumes a stdout nobody
 * has touched on the next tick and its bytes are lost: a short tar or a quick tool would send
 * nothing if we first awaited anything (a greeting, a mkdtemp). Pausing it says "someone reads
 * this" (execa then leaves it alone) and keeps every byte, in the pipe and the stream's own small
 * buffer, until a consumer comes. No stream hop in between: a PassThrough here cost every chunk a
 * transform, a push and up to 1 MiB of buffer.
 *
 * A paused stream no longer starts flowing when a 'data' listener is added: the first one
 * resumes it here, so every way of reading (for await, 'data', pipe, resume) works as before.
 */
export function holdOutput(stdout: Readable): Readable {
  stdout.pause();
  const onListener = (event: string | symbol): void => {
    if (event !== 'data') return;
    stdout.removeListener('newListener', onListener);
    stdout.resume(); // flows from the next tick, once the listener is in place
  };
  stdout.on('newListener', onListener);
  return stdout;
}
