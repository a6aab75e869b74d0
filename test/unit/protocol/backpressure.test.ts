import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import type { Writable } from 'node:stream';
import { parseEncoding } from '../../../src/protocol/compression.js';
import { CompressingSender, readCompressedV2 } from '../../../src/protocol/compressionFrames.js';
import { endWritable } from '../../../src/protocol/io.js';
import { LegacySender, readLegacyFrames } from '../../../src/protocol/legacyFrames.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { readV2Frames, V2Sender } from '../../../src/protocol/v2Frames.js';
import { socketPair } from '../../helpers/socketPair.js';

// Back-pressure end to end: a receiver that consumes slowly (a slow disk on the backup host)
// must slow the producer down, never make bytes pile up in memory. Measured in bytes: how far
// the producer ever got ahead of the consumer. Kernel socket buffers on loopback hold a few MiB;
// anything that buffered without limit would be the whole stream ahead.

const MiB = 1024 * 1024;
const TOTAL = 48 * MiB;
const LIMIT = 16 * MiB;

type Mode = 'v2' | 'legacy' | 'gzip';

/** A sender of `mode` on `out` (write each piece, then end the stream), and its reader. */
function endsOf(mode: Mode, out: Writable): { write: (chunk: Buffer) => Promise<void>; end: () => Promise<unknown>; frames: (r: StreamReader) => AsyncIterable<Buffer> } {
  const status = { ok: true, exitCode: 0, message: '' };
  if (mode === 'v2') {
    const sender = new V2Sender(out);
    return { write: (c) => sender.write(c), end: () => sender.end(status), frames: (r) => readV2Frames(r) };
  }
  if (mode === 'legacy') {
    const sender = new LegacySender(out);
    return { write: (c) => sender.write(c), end: () => sender.end(), frames: (r) => readLegacyFrames(r) };
  }
  const enc = parseEncoding('gzip:1');
  assert.ok(enc);
  const sender = new CompressingSender(out, enc);
  return {
    write: async (c) => {
      const r = sender.send(c);
      if (r !== true) await r;
    },
    end: () => sender.end(status),
    frames: (r) => readCompressedV2(r, 'gzip'),
  };
}

async function maxAhead(mode: Mode): Promise<number> {
  const [out, input] = await socketPair();
  let produced = 0;
  let consumed = 0;
  let ahead = 0;
  // Compressed, random bytes: what the wire holds is what the payload is ahead (compressible bytes would hide it).
  const chunk = mode === 'gzip' ? randomBytes(64 * 1024) : Buffer.alloc(64 * 1024, 7);
  const ends = endsOf(mode, out);
  const produce = async (): Promise<void> => {
    for (; produced < TOTAL; ) {
      produced += chunk.length;
      ahead = Math.max(ahead, produced - consumed);
      await ends.write(chunk);
    }
    await ends.end();
    await endWritable(out);
  };
  const consume = async (): Promise<void> => {
    let pieces = 0;
    for await (const piece of ends.frames(new StreamReader(input))) {
      consumed += piece.length;
      // The slow disk: every few pieces, give the producer every chance to run ahead.
      if (++pieces % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
    }
  };
  try {
    await Promise.all([produce(), consume()]);
  } finally {
    out.destroy();
    input.destroy();
  }
  assert.equal(consumed, TOTAL);
  return ahead;
}

for (const mode of ['v2', 'legacy', 'gzip'] as const) {
  test(`${mode}: a slow receiver holds the sender back (bytes in flight stay bounded)`, async () => {
    const ahead = await maxAhead(mode);
    assert.ok(ahead <= LIMIT, `the producer got ${(ahead / MiB).toFixed(1)} MiB ahead of a slow consumer (limit ${LIMIT / MiB} MiB)`);
  });
}
