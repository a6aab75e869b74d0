import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { endWritable } from '../../../src/protocol/io.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { readV2Frames, V2Sender } from '../../../src/protocol/v2Frames.js';
import type { Session } from '../../../src/server/context.js';
import { pumpToClient } from '../../../src/server/stall.js';
import { socketPair } from '../../helpers/socketPair.js';

// The server's own send loop (a producer's pipe read through 'data' events, sent without
// waiting per chunk, the hash on its thread) against a slow client: the producer must be held
// back, never read ahead without bound. Measured in bytes, not time.

const MiB = 1024 * 1024;
const TOTAL = 48 * MiB;
const LIMIT = 16 * MiB;

test('pumpToClient: a slow client holds the producer back (bytes read from it stay bounded)', async () => {
  const [out, input] = await socketPair();
  let produced = 0;
  let consumed = 0;
  let ahead = 0;
  const piece = Buffer.alloc(64 * 1024, 7);
  const producer = new Readable({
    read() {
      if (produced >= TOTAL) {
        this.push(null);
        return;
      }
      produced += piece.length;
      ahead = Math.max(ahead, produced - consumed);
      this.push(piece);
    },
  });
  const session = { output: out, bytes: 0, deps: { config: { server: { stallTimeout: 60 } } } } as unknown as Session;
  const send = async (): Promise<void> => {
    const sender = new V2Sender(out, { backgroundHash: 'always' });
    await pumpToClient(session, producer, (chunk) => sender.send(chunk));
    await sender.end({ ok: true, exitCode: 0, message: '' });
    await endWritable(out);
  };
  const receive = async (): Promise<void> => {
    let pieces = 0;
    for await (const p of readV2Frames(new StreamReader(input), { backgroundHash: 'always' })) {
      consumed += p.length;
      if (++pieces % 4 === 0) await new Promise((resolve) => setTimeout(resolve, 1)); // the slow disk
    }
  };
  try {
    await Promise.all([send(), receive()]);
  } finally {
    out.destroy();
    input.destroy();
  }
  assert.equal(consumed, TOTAL);
  assert.equal(session.bytes, TOTAL);
  assert.ok(ahead <= LIMIT, `the producer got ${(ahead / MiB).toFixed(1)} MiB ahead of a slow client (limit ${LIMIT / MiB} MiB)`);
});
