// The fast uuencode/uudecode (SIMD kernel and the JS group loops) against a plain one written
// straight from the format, on random data of every length mod 45 and mod 3 up to 200000 bytes.
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes, randomInt } from 'node:crypto';
import { uudecode, uudecodedMaxLength, uudecodeInto, uuencode, uuencodeInto, uuencodedLength, useUuSimd } from '../../../src/protocol/uuencode.js';
import { referenceDecode, referenceEncode } from './uuReference.js';

function fastDecode(text: Buffer): Buffer | null {
  try {
    return uudecode(text);
  } catch {
    return null;
  }
}

// Every length mod 45 (so every length mod 3) once, each at a random size up to 200000 bytes.
function sizes(): number[] {
  const out = [0, 1, 2, 3, 44, 45, 46, 180, 10240, 200000];
  for (let r = 0; r < 45; r++) out.push(45 * randomInt(0, Math.floor((200000 - r) / 45) + 1) + r);
  return out;
}

after(() => useUuSimd(true));

for (const simd of [true, false]) {
  const path = simd ? 'SIMD kernel' : 'JS loops';

  test(`${path}: uuencode equals the reference encoder on random sizes up to 200000 bytes`, () => {
    useUuSimd(simd);
    for (const n of sizes()) {
      const data = randomBytes(n);
      const want = referenceEncode(data);
      assert.equal(uuencodedLength(n), want.length, `n=${n}`);
      assert.ok(uuencode(data).equals(want), `n=${n}`);
      const target = Buffer.alloc(want.length + 7, 0xaa);
      assert.equal(uuencodeInto(data, target, 3), 3 + want.length, `n=${n}`);
      assert.ok(target.subarray(3, 3 + want.length).equals(want), `n=${n}`);
      assert.ok(target.subarray(0, 3).equals(Buffer.alloc(3, 0xaa)) && target.subarray(-4).equals(Buffer.alloc(4, 0xaa)), `n=${n}`);
    }
  });

  test(`${path}: uudecode equals the reference decoder on random sizes up to 200000 bytes`, () => {
    useUuSimd(simd);
    for (const n of sizes()) {
      const data = randomBytes(n);
      const text = referenceEncode(data);
      assert.ok(referenceDecode(text)?.equals(data), `reference, n=${n}`);
      const target = Buffer.alloc(uudecodedMaxLength(text.length) + 5, 0xbb);
      assert.equal(uudecodeInto(text, target, 2), 2 + n, `n=${n}`);
      assert.ok(target.subarray(2, 2 + n).equals(data), `n=${n}`);
    }
  });

  test(`${path}: uudecode takes and refuses exactly what the reference does`, () => {
    useUuSimd(simd);
    for (let round = 0; round < 400; round++) {
      // Frames' texts back to back (short lines in the middle), then one byte changed at random.
      const parts = Array.from({ length: randomInt(1, 4) }, () => referenceEncode(randomBytes(randomInt(1, 3000))));
      const text = Buffer.concat(parts);
      const at = randomInt(0, text.length);
      text[at] = round % 4 === 0 ? randomInt(0, 256) : [0x0a, 0x1f, 0x20, 0x60, 0x61, 0x4d, 0x4c][randomInt(0, 7)] as number;
      const want = referenceDecode(text);
      const got = fastDecode(text);
      assert.equal(got === null, want === null, `round ${round}: byte ${at} set to ${text[at]}`);
      if (want !== null) assert.ok(got?.equals(want), `round ${round}`);
    }
  });
}
