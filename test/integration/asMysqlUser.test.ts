import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import { loadSampleData, startMariaDb, type MariaDb } from '../helpers/mariadb.js';
import { installPlugins } from '../helpers/plugins.js';
import { makeTempDir } from '../helpers/tempDir.js';
import { startXinetd, type Xinetd } from '../helpers/xinetd.js';
import { writeZrmConf, zrmFullBackup } from '../helpers/zrmRun.js';

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
    const plugins = await installPlugins(join(tmp.path, 'plugins'));
    const appConf = join(tmp.path, 'innobackupex.conf');
    await writeFile(appConf, `[backup]\nsocket = ${db.socket}\n`, { mode: 0o644 });
    xinetd = await startXinetd(tmp.path, plugins['socket-server.palomino.pl'], { user: 'mysql', env: { ZRM_INNOBACKUPEX_CONF: appConf } });
    const zrmConf = join(tmp.path, 'zrm.conf');
    await writeZrmConf(zrmConf, {
      user: db.backupUser,
      password: db.backupPassword,
      'copy-plugin': plugins['socket-copy.palomino.pl'],
      'snapshot-plugin': plugins['inno-snapshot.pl'],
      'socket-remote-port': String(xinetd.port),
    });
    env = { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_CONF: zrmConf, ZRM_INNOBACKUPEX_CONF: appConf };
    snapshotPlugin = plugins['inno-snapshot.pl'];
    copyPlugin = plugins['socket-copy.palomino.pl'];
  });
  let env: Record<string, string>;
  let snapshotPlugin: string;
  let copyPlugin: string;

  after(async () => {
    await xinetd?.stop();
    await db?.stop();
    await tmp?.cleanup();
    await rm(`/tmp/zrm-innobackupex-${uid}`, { recursive: true, force: true });
  });

  test('a full backup succeeds with a private state directory owned by mysql', async () => {
    const dest = join(tmp.path, 'backup');
    await mkdir(dest);
    const { steps } = await zrmFullBackup({ conf: '', plugins: { snapshot: snapshotPlugin, copy: copyPlugin }, env }, '127.0.0.1', db.datadir, dest);
    for (const [name, r] of steps) assert.equal(r.exitCode, 0, `${name}: ${r.stderr}`);
    assert.ok((await readdir(dest)).includes('xtrabackup_checkpoints'));
    const st = await stat(`/tmp/zrm-innobackupex-${uid}`);
    assert.equal(st.uid, uid);
    assert.equal(st.mode & 0o777, 0o700);
    assert.deepEqual(await readdir(`/tmp/zrm-innobackupex-${uid}`), [], 'credentials left behind after remove-snapshot');
  });
});
