import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { LegacySender } from '../../src/protocol/legacyFrames.js';
import { tarFileHeader } from '../helpers/craftedTar.js';
import { MAIN_JS } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';

// ZRM stops a copy that takes too long with SIGTERM, and a person with Ctrl-C. Half a stream must
// not stay behind in the destination: ZRM never copies into that directory again, and would
// archive it with the backup.

test('fault: copy plugin stopped by SIGTERM mid-stream | both | exits non-zero; no staging is left in the destination', { timeout: 60_000 }, async () => {
  const tmp = await makeTempDir('zrm-copysig-');
  const server = createServer((s: Socket) => {
    s.on('error', () => undefined);
    s.once('data', () => {
      // Part of a tar (one member's header, 1 GiB announced, and some of its data), then nothing more.
      const header = tarFileHeader('big.dat', 1024 ** 3);
      void new LegacySender(s).write(Buffer.concat([header, Buffer.alloc(50 * 10240, 7)]));
    });
  });
  try {
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const dest = join(tmp.path, 'dest');
    await mkdir(dest);
    const conf = join(tmp.path, 'client.conf');
    await writeFile(conf, `[client]\nprotocol = legacy\n[state]\ndir = ${join(tmp.path, 'state')}\n[log]\nserver_log = ${join(tmp.path, 'copy.log')}\n`);
    const zrmConf = join(tmp.path, 'zrm.conf');
    await writeFile(zrmConf, `socket-remote-port=${port}\n`);
    const copy = execa(process.execPath, [MAIN_JS, 'socket-copy', '--source-host', '127.0.0.1', '--source-file', '/srv/big.dat', '--destination-host', 'localhost', '--destination-directory', dest], {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf, ZRM_CONF: zrmConf },
      extendEnv: false,
      reject: false,
      timeout: 50_000,
    });
    for (let i = 0; i < 200 && !(await readdir(dest)).some((n) => n.startsWith('.zrm-incoming-')); i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok((await readdir(dest)).some((n) => n.startsWith('.zrm-incoming-')), 'the copy never started receiving');
    await new Promise((r) => setTimeout(r, 300));
    copy.kill('SIGTERM');
    const r = await copy;
    assert.equal(r.timedOut, false);
    assert.notEqual(r.exitCode, 0, `exit ${r.exitCode} / ${r.signal}`);
    assert.deepEqual(await readdir(dest), [], 'half a stream was left in the destination');
  } finally {
    server.close();
    await tmp.cleanup();
  }
});
