import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { makeTempDir } from '../helpers/tempDir.js';
import type { Xinetd } from '../helpers/xinetd.js';
import { startZrmSite, type ZrmSite } from '../helpers/zrmSite.js';
import { zrmFullBackup } from '../helpers/zrmRun.js';

// As in the recorded ZRM set-up, without our package: plugins copied into a directory of their
// own, xinetd running the server as `mysql` with only PATH, a config that says nothing but the
// database socket. The state directory and the snapshot plugin must still be found, privately.
describe('plugins copied by hand, server running as mysql', () => {
  let tmp: Awaited<ReturnType<typeof makeTempDir>>;
  let db: MariaDb;
  let xinetd: Xinetd;
  let uid: number;

  before(async () => {
    tmp = await makeTempDir('zrm-mysql-');
    await chmod(tmp.path, 0o755);
    uid = Number((await execa('id', ['-u', 'mysql'])).stdout);
    await rm(`/tmp/zrm-innobackupex-${uid}`, { recursive: true, force: true });
    db = await startMariaDb(join(tmp.path, 'db'), { user: 'mysql' });
    await chmod(join(tmp.path, 'db'), 0o755);
    await loadSampleData(db, 'sbtest', 2, 2000);
    site = await startZrmSite(tmp.path, db, { appConfigText: `[backup]\nsocket = ${db.socket}\n`, xinetdUser: 'mysql' });
    xinetd = site.xinetd;
  });
  let site: ZrmSite;

  after(async () => {
    await xinetd?.stop();
    await db?.stop();
    await tmp?.cleanup();
    await rm(`/tmp/zrm-innobackupex-${uid}`, { recursive: true, force: true });
  });

  test('a full backup succeeds with a private state directory owned by mysql', async () => {
    const dest = join(tmp.path, 'backup');
    await mkdir(dest);
    const { steps } = await zrmFullBackup(site.harness, '127.0.0.1', db.datadir, dest);
    for (const [name, r] of steps) assert.equal(r.exitCode, 0, `${name}: ${r.stderr}`);
    assert.ok((await readdir(dest)).includes('xtrabackup_checkpoints'));
    const st = await stat(`/tmp/zrm-innobackupex-${uid}`);
    assert.equal(st.uid, uid);
    assert.equal(st.mode & 0o777, 0o700);
    // Only the run history (no credentials) stays there.
    const left = (await readdir(`/tmp/zrm-innobackupex-${uid}`)).filter((n) => !/^history-\w+\.jsonl$/.test(n));
    assert.deepEqual(left, [], 'credentials left behind after remove-snapshot');
  });
});
