import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { DEFAULT_CONFIG, type AppConfig } from '../../../src/config/appConfig.js';
import { createLogger, flushLogger } from '../../../src/logging/logger.js';
import { startBackup } from '../../../src/backupTool/index.js';
import { startMariaDb, writeBackupOptionFile, type MariaDb } from '../../helpers/mariadb.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// [backup] credentials_file with a real MariaDB and mariabackup: the account comes from the
// database host's own file, and whatever user/password the client forwarded is ignored.
let tmp: { path: string; cleanup: () => Promise<void> };
let db: MariaDb;
let n = 0;
const FORWARDED_WRONG = { user: 'zrm_backup', password: 'not-the-password' };

before(async () => {
  tmp = await makeTempDir('zrm-creds-');
  db = await startMariaDb(join(tmp.path, 'db'));
});

after(async () => {
  await db?.stop();
  await tmp?.cleanup();
});

async function run(credentialsFile: string, creds = FORWARDED_WRONG) {
  const dir = join(tmp.path, `t${++n}`);
  await mkdir(dir);
  const config: AppConfig = structuredClone(DEFAULT_CONFIG);
  config.backup.socket = db.socket;
  config.backup.datadir = db.datadir;
  config.backup.tmpDir = dir;
  config.backup.credentialsFile = credentialsFile;
  const log = createLogger({ file: join(dir, 'tool.log') });
  const backup = await startBackup(config, creds, log);
  let bytes = 0;
  for await (const chunk of backup.stdout as Readable) bytes += (chunk as Buffer).length;
  const result = await backup.done;
  await flushLogger(log);
  return { ...result, bytes };
}

test('with credentials_file the backup succeeds although the forwarded password is wrong', async () => {
  const file = join(tmp.path, 'zrm-backup.cnf');
  await writeBackupOptionFile(db, file);
  const r = await run(file);
  assert.equal(r.ok, true, r.message);
  assert.ok(r.bytes > 0);
});

test('without it the same wrong forwarded password fails (the file is what made it work)', async () => {
  const r = await run('');
  assert.equal(r.ok, false);
});

test('a credentials file others can read is refused before the tool starts', async () => {
  const file = join(tmp.path, 'open.cnf');
  await writeBackupOptionFile(db, file);
  await chmod(file, 0o644);
  const r = await run(file, { user: db.backupUser, password: db.backupPassword });
  assert.equal(r.ok, false);
  assert.match(r.message, /credentials_file .* has mode 644: it must be 600/);
});
