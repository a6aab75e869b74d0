import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { DEFAULT_CONFIG } from '../../../src/config/appConfig.js';
import { openRequest } from '../../../src/client/connection.js';
import { peerMemoryIn, type PeerMemory } from '../../../src/client/peerMemory.js';
import { memoryLogger } from '../snapshot/helpers.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// Issue 8, case 3: no silent downgrade. A hang-up without a word is what an old server does, and
// also what xinetd does while its `instances` are taken: a server that once answered v2 is never
// taken for an old one, and a known old one is spoken to in 1.8b5 at once.

const PAUSES = [10, 10, 10];

/** A server that hangs up on the first `silent` connections, then answers each with `reply`. */
async function fakeServer(silent: number, reply: (firstLine: string) => string | null): Promise<{ server: Server; port: number; firstLines: string[] }> {
  const firstLines: string[] = [];
  let n = 0;
  const server = createServer((s: Socket) => {
    s.on('error', () => undefined);
    if (n++ < silent) return void s.destroy();
    let buf = '';
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (!buf.includes('\n') || buf.startsWith('#')) return;
      const first = buf.slice(0, buf.indexOf('\n'));
      firstLines.push(first);
      buf = '#';
      const answer = reply(first);
      if (answer === null) s.destroy();
      else s.write(answer);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { server, port, firstLines };
}

const v2Server = (line: string) => (line.startsWith('2.') ? 'OK\n' : null);
const oldServer = (line: string) => (line === '1.8b5_palomino' ? '' : null);

async function withMemory(fn: (memory: PeerMemory, dir: string) => Promise<void>): Promise<void> {
  const tmp = await makeTempDir('zrm-peers-');
  try {
    const dir = join(tmp.path, 'state');
    await fn(peerMemoryIn(dir, memoryLogger().logger), dir);
  } finally {
    await tmp.cleanup();
  }
}

const settings = { ...DEFAULT_CONFIG.client, protocol: 'auto' as const };
const remoteAt = (port: number) => ({ host: '127.0.0.1', port, tmpdir: '/tmp', binpath: '/usr/bin' });

test('negotiation: silent hang-ups are retried in v2 with back-off, and the v2 answer is remembered', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(3, v2Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'snapshot', 'x', settings, memoryLogger().logger, { memory, pauses: PAUSES });
      conv.socket.destroy();
      assert.equal(conv.protocol, 'v2');
      assert.equal(await memory.recall(remoteAt(f.port)), 'v2');
    } finally {
      f.server.close();
    }
  }));

test('fault: server hangs up without a word (xinetd instances full) | v2 | retried with back-off; exits non-zero "not falling back to 1.8b5", never a silent downgrade', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(1000, oldServer);
    try {
      await memory.remember(remoteAt(f.port), 'v2');
      await assert.rejects(
        openRequest(remoteAt(f.port), 'copy from', '/x', settings, memoryLogger().logger, { memory, pauses: PAUSES }),
        /answered in 2\.0_zrm-innobackupex before, but now hangs up .*not falling back to 1\.8b5/,
      );
      assert.deepEqual(f.firstLines, [], 'no 1.8b5 request was sent');
    } finally {
      f.server.close();
    }
  }));

test('negotiation: a server that answered the old way is remembered, and spoken to in 1.8b5 at once', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, oldServer);
    try {
      const first = await openRequest(remoteAt(f.port), 'snapshot', 'x', settings, memoryLogger().logger, { memory, pauses: PAUSES });
      first.socket.destroy();
      assert.equal(first.protocol, 'legacy');
      assert.equal(await memory.recall(remoteAt(f.port)), 'legacy');
      const seen = f.firstLines.length;
      const second = await openRequest(remoteAt(f.port), 'snapshot', 'x', settings, memoryLogger().logger, { memory, pauses: PAUSES });
      second.socket.destroy();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(second.protocol, 'legacy');
      assert.deepEqual(f.firstLines.slice(seen), ['1.8b5_palomino'], 'no v2 attempt before the 1.8b5 request');
    } finally {
      f.server.close();
    }
  }));
