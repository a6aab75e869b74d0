// The 1.8b5 frame coders (whole frames through the SIMD kernel, or the JS loops) against the plain
// reference: the sender's bytes for random streams cut at random, and the receiver taking and
// refusing exactly what the reference does, frames of any length, one byte changed at random.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { LEGACY_CHUNK, LegacySender, readLegacyFrames } from '../../../src/protocol/legacyFrames.js';
import { useUuSimd } from '../../../src/protocol/uuencode.js';
import { Sink, collect, readerOf, split } from './streams.js';
import { referenceFrames, referenceUnframe } from './uuReference.js';

// Stream sizes around the kernel's batch (16 chunks) and a chunk, and some at random.
function sizes(): number[] {
  const out = [0, 1, 25, 10215, LEGACY_CHUNK - 1, LEGACY_CHUNK, LEGACY_CHUNK + 1, 16 * LEGACY_CHUNK, 17 * LEGACY_CHUNK + 25, 40 * LEGACY_CHUNK + 7];
  for (let i = 0; i < 12; i++) out.push(randomInt(0, 60 * LEGACY_CHUNK));
  return out;
}

async function decoded(wire: Buffer, piece: number): Promise<Buffer | null> {
  try {
    return await collect(readLegacyFrames(readerOf(wire, piece)));
  } catch {
    return null;
  }
}

// A random offset in the last line (the short one, if any) of a random frame of referenceFrames(chunks).
function inLastLine(chunks: Buffer[]): number {
  const j = randomInt(0, chunks.length);
  let end = 0;
  for (let i = 0; i <= j; i++) end += 4 + 62 * Math.floor((chunks[i] as Buffer).length / 45) + ((chunks[i] as Buffer).length % 45 > 0 ? 2 + 4 * Math.ceil(((chunks[i] as Buffer).length % 45) / 3) : 0);
  const rest = (chunks[j] as Buffer).length % 45;
  const last = rest > 0 ? 2 + 4 * Math.ceil(rest / 3) : 62;
  return randomInt(end - last, end);
}

after(() => useUuSimd(true));

for (const simd of [true, false]) {
  const path = simd ? 'SIMD kernel' : 'JS loops';

  test(`${path}: LegacySender puts the reference's frames on the wire, however the input is cut`, async () => {
    useUuSimd(simd);
    for (const n of sizes()) {
      const data = randomBytes(n);
      const want = referenceFrames(split(data, LEGACY_CHUNK));
      const sink = new Sink();
      const sender = new LegacySender(sink);
      for (const piece of split(data, randomInt(1, 3 * 65536))) {
        if (!sender.send(piece)) await new Promise((resolve) => setImmediate(resolve));
      }
      await sender.end();
      assert.ok(sink.data.equals(want), `n=${n}`);
    }
  });

  test(`${path}: readLegacyFrames decodes frames of any length as the reference does`, async () => {
    useUuSimd(simd);
    for (let round = 0; round < 30; round++) {
      // Frames of random lengths (so short lines everywhere), one now and then larger than the
      // kernel's input (the JS decodes it), and now and then an empty one.
      const chunks = Array.from({ length: randomInt(1, 30) }, () => {
        const r = randomInt(0, 20);
        return randomBytes(r === 0 ? 0 : r === 1 ? randomInt(130000, 200000) : r < 10 ? LEGACY_CHUNK : randomInt(1, 3 * LEGACY_CHUNK));
      });
      const wire = referenceFrames(chunks);
      const got = await decoded(wire, randomInt(1, 200000));
      assert.ok(got?.equals(Buffer.concat(chunks)), `round ${round}`);
    }
  });

  test(`${path}: readLegacyFrames takes and refuses exactly what the reference does`, async () => {
    useUuSimd(simd);
    for (let round = 0; round < 300; round++) {
      const chunks = Array.from({ length: randomInt(1, 6) }, () => randomBytes(randomInt(0, 3) === 0 ? randomInt(1, 3000) : LEGACY_CHUNK));
      const wire = referenceFrames(chunks);
      const at = round % 2 === 0 ? randomInt(0, wire.length) : inLastLine(chunks);
      wire[at] = round % 4 === 0 ? randomInt(0, 256) : [0x0a, 0x1f, 0x20, 0x60, 0x61, 0x4d, 0x4c][randomInt(0, 7)] as number;
      const want = referenceUnframe(wire);
      const got = await decoded(wire, randomInt(1, 40000));
      assert.equal(got === null, want === null, `round ${round}: byte ${at} set to ${wire[at]}`);
      if (want !== null) assert.ok(got?.equals(want), `round ${round}`);
    }
  });
}
