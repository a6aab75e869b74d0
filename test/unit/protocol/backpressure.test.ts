import { test } from 'node:test';
import assert from 'node:assert/strict';
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

async function maxAhead(mode: 'v2' | 'legacy'): Promise<number> {
  const [out, input] = await socketPair();
  let produced = 0;
  let consumed = 0;
  let ahead = 0;
  const chunk = Buffer.alloc(64 * 1024, 7);
  const produce = async (): Promise<void> => {
    const sender = mode === 'v2' ? new V2Sender(out) : new LegacySender(out);
    for (; produced < TOTAL; ) {
      produced += chunk.length;
      ahead = Math.max(ahead, produced - consumed);
      await sender.write(chunk);
    }
    if (sender instanceof V2Sender) await sender.end({ ok: true, exitCode: 0, message: '' });
    else await sender.end();
    await endWritable(out);
  };
  const consume = async (): Promise<void> => {
    const reader = new StreamReader(input);
    const frames = mode === 'v2' ? readV2Frames(reader) : readLegacyFrames(reader);
    let pieces = 0;
    for await (const piece of frames) {
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

for (const mode of ['v2', 'legacy'] as const) {
  test(`${mode}: a slow receiver holds the sender back (bytes in flight stay bounded)`, async () => {
    const ahead = await maxAhead(mode);
    assert.ok(ahead <= LIMIT, `the producer got ${(ahead / MiB).toFixed(1)} MiB ahead of a slow consumer (limit ${LIMIT / MiB} MiB)`);
  });
}
