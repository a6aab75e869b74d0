import { test } from 'node:test';
import assert from 'node:assert/strict';
import { releaseDeadBuffers } from '../../../src/process/deadBuffers.js';

// A stream's pieces are ArrayBuffers outside V8's heap: counted through releaseDeadBuffers, the
// dead ones are freed as the stream goes instead of piling up until V8's external-memory limit.
// Measured in bytes (process.memoryUsage().arrayBuffers), not time.

const MiB = 1024 * 1024;
const PIECE = 64 * 1024;

test('pieces counted through releaseDeadBuffers do not pile up (256 MiB streamed, little held)', () => {
  let peak = 0;
  let sum = 0;
  for (let moved = 0; moved < 256 * MiB; moved += PIECE) {
    const piece = Buffer.allocUnsafeSlow(PIECE); // as a pipe or socket read gives it: its own ArrayBuffer
    piece[0] = moved & 0xff;
    sum += piece[0] as number;
    releaseDeadBuffers(piece.length);
    peak = Math.max(peak, process.memoryUsage().arrayBuffers);
  }
  assert.ok(sum >= 0);
  assert.ok(peak < 32 * MiB, `dead pieces piled up to ${(peak / MiB).toFixed(1)} MiB of ArrayBuffers`);
});
