import { PassThrough, type Readable } from 'node:stream';

/**
 * Takes hold of a child's stdout at once. execa (with `buffer: false`) resumes an unread stdout
 * on the next tick and its bytes are lost: a short tar or a quick tool would send nothing if we
 * first awaited anything (a greeting, a mkdtemp). Piping into a PassThrough keeps every byte,
 * with backpressure, until we read it.
 */
export function holdOutput(stdout: Readable): Readable {
  const held = new PassThrough({ highWaterMark: 1024 * 1024 });
  stdout.on('error', (err) => held.destroy(err));
  return stdout.pipe(held);
}
