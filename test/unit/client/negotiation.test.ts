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

// Protocol 2.1 (asked for by `zrm-innobackupex backup` for the size up front).
const v21Server = (line: string) => (line === '2.1_zrm-innobackupex' ? 'OK xbstream size=4096 later=x\n' : line.startsWith('2.') ? 'OK xbstream\n' : null);
const v20Server = (line: string) => (line === '2.0_zrm-innobackupex' ? 'OK xbstream\n' : null);

test('2.1: a 2.1 server is asked in 2.1 and its OK-line details are split off the format word', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, v21Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'copy from', '/x', settings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES, v21: true });
      conv.socket.destroy();
      assert.equal(conv.greeting, 'xbstream');
      assert.equal(conv.details.get('size'), '4096');
      assert.deepEqual(f.firstLines, ['2.1_zrm-innobackupex']);
    } finally {
      f.server.close();
    }
  }));

test('2.1: a 2.0 server hangs up on 2.1, is asked again in 2.0 after a short back-off, and is remembered as 2.0 (never 1.8b5)', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, v20Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'copy from', '/x', settings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES, v21: true });
      conv.socket.destroy();
      assert.equal(conv.protocol, 'v2');
      assert.equal(conv.greeting, 'xbstream');
      assert.equal(conv.details.size, 0);
      assert.deepEqual(f.firstLines, ['2.1_zrm-innobackupex', '2.1_zrm-innobackupex', '2.1_zrm-innobackupex', '2.1_zrm-innobackupex', '2.0_zrm-innobackupex'], 'a silent hang-up on 2.1 is retried (xinetd busy), then asked in 2.0');
      assert.equal(await memory.recall(remoteAt(f.port)), 'v2.0');
      const again = await openRequest(remoteAt(f.port), 'copy from', '/x', settings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES, v21: true });
      again.socket.destroy();
      assert.deepEqual(f.firstLines.slice(5), ['2.0_zrm-innobackupex'], 'a remembered 2.0 server is asked in 2.0 first');
    } finally {
      f.server.close();
    }
  }));

test('2.1: xinetd busy on the first 2.1 attempt is retried in 2.1, not taken for a 2.0 server', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(1, v21Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'copy from', '/x', settings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES, v21: true });
      conv.socket.destroy();
      assert.equal(conv.details.get('size'), '4096');
      assert.notEqual(await memory.recall(remoteAt(f.port)), 'v2.0');
    } finally {
      f.server.close();
    }
  }));

test('2.1 not asked for: the request goes out in 2.0 and an OK line is taken whole, as before', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, v21Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'copy from', '/x', settings, memoryLogger().logger, { memory, pauses: PAUSES });
      conv.socket.destroy();
      assert.equal(conv.greeting, 'xbstream');
      assert.deepEqual(f.firstLines, ['2.0_zrm-innobackupex']);
    } finally {
      f.server.close();
    }
  }));

test('2.1 memory: a 2.0 verdict is believed for an hour, then 2.1 is tried again (still never 1.8b5)', () =>
  withMemory(async (_m, dir) => {
    let now = new Date('2026-11-29T10:00:00Z');
    const memory = peerMemoryIn(dir, memoryLogger().logger, () => now);
    await memory.remember(remoteAt(1), 'v2.0');
    assert.equal(await memory.recall(remoteAt(1)), 'v2.0');
    now = new Date('2026-11-29T11:00:01Z');
    assert.equal(await memory.recall(remoteAt(1)), 'v2');
  }));

// Protocol 2.2 (compression in transit): asked only for a data stream the server sends, and only
// when [client] compression is on; an older server is stepped down to, one version at a time.
const gzipSettings = { ...settings, compression: [{ codec: 'gzip' as const, level: 1, token: 'gzip:1' }] };
const V22_LINE = '2.2_zrm-innobackupex gzip:1';
const v22Server = (line: string) => (line === V22_LINE ? 'OK tar compression=gzip:1\n' : line.startsWith('2.') ? 'OK tar\n' : null);
const v21Only = (line: string) => (line === '2.1_zrm-innobackupex' ? 'OK tar\n' : line === '2.0_zrm-innobackupex' ? 'OK tar\n' : null);

test('2.2: copy from with compression on asks in 2.2 with the encodings on the version line, and reads the choice', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, v22Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'copy from', '/x', gzipSettings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES });
      conv.socket.destroy();
      assert.equal(conv.greeting, 'tar');
      assert.equal(conv.details.get('compression'), 'gzip:1');
      assert.deepEqual(f.firstLines, [V22_LINE]);
      assert.equal(await memory.recall(remoteAt(f.port)), 'v2');
    } finally {
      f.server.close();
    }
  }));

test('2.2: compression on, but a request without a data stream from the server (snapshot) goes out in 2.0', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, v22Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'snapshot', 'x', gzipSettings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES });
      conv.socket.destroy();
      assert.deepEqual(f.firstLines, ['2.0_zrm-innobackupex']);
    } finally {
      f.server.close();
    }
  }));

test('2.2: a 2.1 server hangs up on 2.2, is asked in 2.1 (which `backup` wants anyway) and remembered as 2.1 for an hour', () =>
  withMemory(async (_m, dir) => {
    let now = new Date('2026-12-04T10:00:00Z');
    const memory = peerMemoryIn(dir, memoryLogger().logger, () => now);
    const f = await fakeServer(0, v21Only);
    try {
      const conv = await openRequest(remoteAt(f.port), 'copy from', '/x', gzipSettings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES, v21: true });
      conv.socket.destroy();
      assert.equal(conv.greeting, 'tar');
      assert.equal(conv.details.get('compression'), undefined);
      assert.deepEqual(f.firstLines, [V22_LINE, V22_LINE, V22_LINE, V22_LINE, '2.1_zrm-innobackupex']);
      assert.equal(await memory.recall(remoteAt(f.port)), 'v2.1');
      const again = await openRequest(remoteAt(f.port), 'copy from', '/x', gzipSettings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES });
      again.socket.destroy();
      assert.deepEqual(f.firstLines.slice(5), ['2.1_zrm-innobackupex'], 'a server remembered as 2.1 is asked in 2.1 at once');
      now = new Date('2026-12-04T11:00:01Z');
      const later = await openRequest(remoteAt(f.port), 'copy from', '/x', gzipSettings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: PAUSES });
      later.socket.destroy();
      assert.equal(f.firstLines[6], V22_LINE, 'after an hour 2.2 is tried again');
    } finally {
      f.server.close();
    }
  }));

test('2.2: a 2.0 server is stepped down to through 2.1, remembered as 2.0, and never taken for 1.8b5', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, v20Server);
    try {
      const conv = await openRequest(remoteAt(f.port), 'mysqlhotcopy', '--user="u" db', gzipSettings, memoryLogger().logger, { memory, pauses: PAUSES, stepPauses: [] });
      conv.socket.destroy();
      assert.equal(conv.protocol, 'v2');
      assert.deepEqual(f.firstLines, [V22_LINE, '2.1_zrm-innobackupex', '2.0_zrm-innobackupex']);
      assert.equal(await memory.recall(remoteAt(f.port)), 'v2.0');
    } finally {
      f.server.close();
    }
  }));

test('2.2: a 1.8b5 server hangs up on every v2 version: the chain ends in 1.8b5 as before', () =>
  withMemory(async (memory) => {
    const f = await fakeServer(0, oldServer);
    try {
      const conv = await openRequest(remoteAt(f.port), 'copy from', '/x', gzipSettings, memoryLogger().logger, { memory, pauses: [], stepPauses: [] });
      conv.socket.destroy();
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(conv.protocol, 'legacy');
      assert.deepEqual(f.firstLines, [V22_LINE, '2.1_zrm-innobackupex', '2.0_zrm-innobackupex', '1.8b5_palomino']);
      assert.equal(await memory.recall(remoteAt(f.port)), 'legacy');
    } finally {
      f.server.close();
    }
  }));
