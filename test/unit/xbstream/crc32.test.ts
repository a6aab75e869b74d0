import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crc32, crc32Portable } from '../../../src/xbstream/crc32.js';
import { randomBytes } from './streamPieces.js';

test('crc32 gives the ISO 3309 check value', () => {
  assert.equal(crc32(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32Portable(Buffer.from('123456789')), 0xcbf43926);
  assert.equal(crc32(Buffer.alloc(0)), 0);
  assert.equal(crc32(Buffer.alloc(0), 0x12345678), 0x12345678);
});

test('the portable crc32 agrees with the one in use, whole and chained', () => {
  for (const n of [1, 7, 8, 9, 15, 16, 17, 64, 1000, 65537]) {
    const data = randomBytes(n, n);
    assert.equal(crc32Portable(data), crc32(data), `length ${n}`);
    const cut = Math.floor(n / 3);
    assert.equal(crc32(data.subarray(cut), crc32(data.subarray(0, cut))), crc32(data));
    assert.equal(crc32Portable(data.subarray(cut), crc32Portable(data.subarray(0, cut))), crc32(data));
  }
});

test('the portable crc32 agrees with the one in use at every alignment and split, from any previous value', () => {
  const data = randomBytes(300, 99);
  for (let start = 0; start < 9; start++) {
    for (let cut = start; cut <= start + 17; cut++) {
      const whole = data.subarray(start, start + 200);
      const first = crc32Portable(whole.subarray(0, cut - start), 0xdeadbeef);
      assert.equal(crc32Portable(whole.subarray(cut - start), first), crc32(whole, 0xdeadbeef), `start ${start}, cut ${cut}`);
    }
  }
});
