import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { LegacySender } from '../../../src/protocol/legacyFrames.js';
import { V2Sender } from '../../../src/protocol/v2Frames.js';
import { craftTar } from '../../helpers/craftedTar.js';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv } from './harness.js';

// Issue 7, hole 2: a client could `copy to` a tar holding a link out of the roots, then
// `copy from` it. The upload is refused in both protocols, and nothing of it is published.

class Sink extends Writable {
  readonly chunks: Buffer[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    this.chunks.push(Buffer.from(chunk));
    cb();
  }
}

async function framed(protocol: 'v2' | 'legacy', data: Buffer): Promise<Buffer> {
  const sink = new Sink();
  if (protocol === 'v2') {
    const sender = new V2Sender(sink);
    await sender.write(data);
    await sender.end({ ok: true, exitCode: 0, message: 'tar completed' });
  } else {
    const sender = new LegacySender(sink);
    await sender.write(data);
    await sender.end();
  }
  return Buffer.concat(sink.chunks);
}

for (const protocol of ['v2', 'legacy'] as const) {
  test(`${protocol} copy to with a link out of the roots: refused, nothing published, and copy from finds nothing to follow`, () =>
    withServerEnv(async (env) => {
      await writeFile(join(env.root, 'secret.txt'), 'top secret');
      const dest = join(env.data, 'dest');
      await mkdir(dest);
      const tar = await craftTar([
        { name: 'ok.txt', data: 'fine' },
        { name: 'leak', type: 'symlink', target: join(env.root, 'secret.txt') },
      ]);
      const version = protocol === 'v2' ? V2_VERSION : LEGACY_VERSION;
      const r = await serve(env, [header(version, 'copy to', dest, env.tmp), await framed(protocol, tar)]);
      assert.equal(r.status, 1, r.log);
      assert.match(r.log, /the link 'leak' -> '.*secret\.txt' resolves to .*upload refused/);
      if (protocol === 'v2') {
        const text = r.output.toString();
        assert.ok(text.startsWith('OK ready\n'), text);
        const status = parseStatus(text.slice('OK ready\n'.length));
        assert.equal(status.ok, false);
        assert.match(status.lines.join('\n'), /upload refused/);
      } else {
        // Our 1.8b5 client hears a failed upload as an ERROR block (an old one ignores it).
        assert.match(r.output.toString(), /^ERROR\n1\n.*upload refused/);
      }
      assert.deepEqual(await readdir(dest), []);

      const back = await serve(env, [header(V2_VERSION, 'copy from', join(dest, 'leak'), env.tmp)]);
      assert.equal(back.status, 1);
      assert.doesNotMatch(back.output.toString('latin1'), /top secret/);
    }));
}
