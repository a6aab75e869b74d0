import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readHistory } from '../../src/monitor/store.js';
import type { HistoryRecord } from '../../src/monitor/record.js';
import { installPlugins, writeAppConfig } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { runPlugin, writeZrmConf } from '../helpers/zrmRun.js';

// The run history of a real exchange: the copy plugin on the "backup host" and the socket
// server under xinetd on the "database host", each with its own state dir, both record it.
describe('run history of real requests', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let xinetd: Xinetd;
  let copyPlugin: string;
  let env: Record<string, string>;
  let src: string;

  before(async () => {
    tmp = await makeTempDir('zrm-history-');
    const plugins = await installPlugins(join(tmp.path, 'plugins'));
    copyPlugin = plugins['socket-copy.palomino.pl'];
    const serverConf = join(tmp.path, 'server.conf');
    await writeAppConfig(serverConf, { dir: join(tmp.path, 'db'), allowedRoots: tmp.path });
    xinetd = await startXinetd(tmp.path, plugins['socket-server.palomino.pl'], { env: { ZRM_INNOBACKUPEX_CONF: serverConf }, instances: 2 });
    const clientConf = join(tmp.path, 'client.conf');
    await writeAppConfig(clientConf, { dir: join(tmp.path, 'bk') });
    const zrmConf = join(tmp.path, 'zrm.conf');
    await writeZrmConf(zrmConf, { 'socket-remote-port': String(xinetd.port), 'copy-plugin': copyPlugin, 'backup-set': 'nightly', password: 'zrm-secret-pw' });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: clientConf };
    src = join(tmp.path, 'src');
    await mkdir(src);
    await writeFile(join(src, 'mysql-bin.000003'), Buffer.alloc(70_000, 7));
  });

  after(async () => {
    await xinetd?.stop();
    await tmp?.cleanup();
  });

  const last = (records: HistoryRecord[], kind: string) => records.filter((r) => r.kind === kind).at(-1);

  /** The server's records once it has one for `path`: it records after its reply, so the client may exit first. */
  async function serverRecordsFor(path: string): Promise<HistoryRecord[]> {
    for (let i = 0; i < 200; i++) {
      const records = await readHistory(join(tmp.path, 'db', 'state'));
      if (records.some((r) => r.path === path)) return records;
      await new Promise((r) => setTimeout(r, 50));
    }
    return readHistory(join(tmp.path, 'db', 'state'));
  }

  test('a copy from leaves a request record on the server and a copy record on the backup host', async () => {
    const dest = join(tmp.path, 'backups', 'nightly', '20261125125902');
    await mkdir(dest, { recursive: true });
    const r = await runPlugin(copyPlugin, ['--source-host', '127.0.0.1', '--source-file', join(src, 'mysql-bin.000003'), '--destination-host', 'localhost', '--destination-directory', dest], env);
    assert.equal(r.exitCode, 0, r.stderr);
    const server = last(await serverRecordsFor(join(src, 'mysql-bin.000003')), 'request');
    assert.equal(server?.action, 'copy from');
    assert.equal(server?.ok, true);
    assert.equal(server?.path, join(src, 'mysql-bin.000003'));
    assert.match(server?.peer ?? '', /^127\.0\.0\.1/);
    assert.match(server?.protocol ?? '', /^2\./);
    assert.ok((server?.bytes ?? 0) >= 70_000, `server bytes ${server?.bytes}`);
    const client = last(await readHistory(join(tmp.path, 'bk', 'state')), 'copy');
    assert.equal(client?.action, 'copy from');
    assert.equal(client?.ok, true);
    assert.equal(client?.set, 'nightly');
    assert.equal(client?.destination, join(tmp.path, 'backups'));
    assert.equal(client?.path, dest);
    assert.ok((client?.bytes ?? 0) >= 70_000, `client bytes ${client?.bytes}`);
    assert.match(client?.sha256 ?? '', /^[0-9a-f]{64}$/);
  });

  test('a failed copy is recorded as failed on both sides, with why, and no password', async () => {
    const dest = join(tmp.path, 'backups', 'nightly', '20261125130000');
    await mkdir(dest, { recursive: true });
    const r = await runPlugin(copyPlugin, ['--source-host', '127.0.0.1', '--source-file', join(src, 'missing'), '--destination-host', 'localhost', '--destination-directory', dest], env);
    assert.notEqual(r.exitCode, 0);
    const serverRecords = await serverRecordsFor(join(src, 'missing'));
    const server = last(serverRecords, 'request');
    assert.equal(server?.ok, false);
    assert.equal(server?.path, join(src, 'missing'));
    const client = last(await readHistory(join(tmp.path, 'bk', 'state')), 'copy');
    assert.equal(client?.ok, false);
    assert.equal(client?.path, dest);
    assert.ok(client?.detail, 'the failure says why');
    assert.doesNotMatch(JSON.stringify([...serverRecords, client]), /zrm-secret-pw/);
  });
});
