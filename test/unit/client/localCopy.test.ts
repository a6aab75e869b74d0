import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runCopyPlugin } from '../../../src/client/index.js';
import { appConfigFrom } from '../../../src/config/appConfig.js';
import { memoryLogger } from '../snapshot/helpers.js';
import { fakeRunner } from '../../helpers/fakeRunner.js';
import { withTempDir } from '../../helpers/tempDir.js';
import { tarFileHeader } from '../../helpers/craftedTar.js';

// A copy with both ends on this host (also what a server runs for `copy between` of one host):
// tar's output is all there is to go by, so a tar that "succeeded" without a whole archive
// must fail the copy, never publish nothing and exit 0.

async function localCopyWith(tarStdout: string): Promise<{ code: number | undefined; error: string; landed: string[] }> {
  return withTempDir('zrm-localcopy-', async (dir) => {
    const src = join(dir, 'src');
    const dest = join(dir, 'dest');
    await mkdir(src);
    await mkdir(dest);
    await writeFile(join(src, 'master.info'), 'binlog.000007\n4\n');
    const { run } = fakeRunner({ exitCode: 0, stdout: tarStdout });
    const config = appConfigFrom({ state: { dir: join(dir, 'state') } });
    const ctx = { env: {}, config, logger: memoryLogger().logger, stdout: new PassThrough(), stderr: new PassThrough(), run, zrmConf: new Map<string, string>() };
    let code: number | undefined;
    let error = '';
    try {
      code = await runCopyPlugin(['--source-file', join(src, 'master.info'), '--destination-directory', dest], ctx);
    } catch (err) {
      error = (err as Error).message;
    }
    return { code, error, landed: await readdir(dest) };
  });
}

test('local copy: tar exits 0 but its output is empty: the copy fails, nothing is published', async () => {
  const r = await localCopyWith('');
  assert.ok(r.code === undefined || r.code !== 0, `exit ${r.code}`);
  assert.match(r.error, /empty/);
  assert.deepEqual(r.landed, []);
});

test('local copy: tar exits 0 but its archive stops before the end-of-archive blocks: the copy fails', async () => {
  // One valid header for a 0-byte file, then nothing: what a cut pipe would leave.
  const header = tarFileHeader('master.info', 0);
  const r = await localCopyWith(header.toString('latin1'));
  assert.ok(r.code === undefined || r.code !== 0, `exit ${r.code}`);
  assert.match(r.error, /end-of-archive|end of archive|truncated|cut/i);
  assert.deepEqual(r.landed, []);
});
