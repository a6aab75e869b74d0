import { IntegrityError } from '../errors.js';
import { TarWalker } from '../tar/walker.js';

// Tells a whole tar archive from one cut between two members as the stream passes. `tar -x -i`
// (needed for innobackupex streams, which hold blocks of zeros) cannot tell: it takes end of
// input anywhere between members as a normal end. A whole archive ends, at a header position,
// in zero blocks (two, plus the record's zero padding).

export class TarEndCheck {
  private readonly walker = new TarWalker();

  /** Throws IntegrityError at a block that is not a tar header. */
  push(chunk: Buffer): void {
    this.walker.push(chunk);
  }

  /** Throws unless the stream ended as a whole archive does. */
  finish(): void {
    const w = this.walker;
    if (w.position === 0) return; // "empty" is the caller's verdict, with its own message
    if (!w.atHeader) throw new IntegrityError(`the tar stream was cut inside a member (after ${w.position} bytes)`);
    if (w.zeroHeaders < 2) {
      throw new IntegrityError(
        `the tar stream ended without tar's end-of-archive blocks (after ${w.position} bytes): it was cut between two members, so files are missing`,
      );
    }
  }
}

/** Passes `source` through unchanged, and fails at its end unless it was a whole tar archive. */
export async function* requireTarEnd(source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
  const check = new TarEndCheck();
  for await (const chunk of source) {
    check.push(chunk);
    yield chunk;
  }
  check.finish();
}
