import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAppConfig } from '../../../src/config/appConfig.js';
import { createLogger } from '../../../src/logging/logger.js';
import { onBackupLanded } from '../../../src/restore/landed.js';
import { makeTempDir } from '../../helpers/tempDir.js';

const FAKE_TOOL = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..', '..', 'test', 'fixtures', 'tools', 'mariabackup-prepare.sh');
const logger = createLogger({ console: false });
const source = { host: 'db1', path: '/x/ZRM_LINKS/.' };

async function landed(dir: string): Promise<void> {
  await writeFile(join(dir, 'xtrabackup_checkpoints'), 'backup_type = full-backuped\nfrom_lsn = 0\nto_lsn = 100\nlast_lsn = 120\n');
  await writeFile(join(dir, 'xtrabackup_info'), 'tool_name = mariabackup\ntool_version = 10.11.19-MariaDB\nserver_version = 10.11.19-MariaDB-log\n');
  await writeFile(join(dir, 'xtrabackup_binlog_info'), 'mysql-bin.000003\t1234\t0-1-9\n');
}

const config = (prepare: boolean) => parseAppConfig(`[backup]\ntool = mariabackup\ntool_path = ${FAKE_TOOL}\n[client]\nprepare = ${prepare}\n`);

test('a landed hot backup gets its metadata; a plain file copy gets none', async () => {
  const tmp = await makeTempDir();
  try {
    await onBackupLanded(tmp.path, { bytes: 10, format: 'xbstream' }, source, { config: config(false), logger });
    await assert.rejects(readFile(join(tmp.path, 'zrm-innobackupex.json')), /ENOENT/);
    await landed(tmp.path);
    await onBackupLanded(tmp.path, { bytes: 4096, format: 'xbstream', sha256: 'a'.repeat(64) }, source, { config: config(false), logger });
    const meta = JSON.parse(await readFile(join(tmp.path, 'zrm-innobackupex.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(meta.tool, 'mariabackup');
    assert.equal(meta.toolVersion, '10.11.19-MariaDB');
    assert.deepEqual(meta.checkpoints, { backupType: 'full-backuped', fromLsn: 0, toLsn: 100, lastLsn: 120 });
    assert.deepEqual(meta.binlog, { file: 'mysql-bin.000003', position: 1234, gtid: '0-1-9' });
    assert.deepEqual(meta.stream, { bytes: 4096, format: 'xbstream', sha256: 'a'.repeat(64) });
    assert.deepEqual(meta.source, source);
  } finally {
    await tmp.cleanup();
  }
});

test('[client] prepare prepares on landing and records it', async () => {
  const tmp = await makeTempDir();
  try {
    await landed(tmp.path);
    await onBackupLanded(tmp.path, { bytes: 1, format: 'xbstream' }, source, { config: config(true), logger });
    const meta = JSON.parse(await readFile(join(tmp.path, 'zrm-innobackupex.json'), 'utf8')) as { prepared?: { tool: string; toolVersion: string }; checkpoints: { backupType: string } };
    assert.deepEqual(meta.prepared && { tool: meta.prepared.tool, toolVersion: meta.prepared.toolVersion }, { tool: 'mariabackup', toolVersion: '10.11.19' });
    assert.equal(meta.checkpoints.backupType, 'log-applied');
  } finally {
    await tmp.cleanup();
  }
});

test('a failed prepare fails the copy with the tool\'s reason', async () => {
  const tmp = await makeTempDir();
  process.env.FAKE_PREPARE_FAIL = '1';
  try {
    await landed(tmp.path);
    await assert.rejects(
      onBackupLanded(tmp.path, { bytes: 1, format: 'xbstream' }, source, { config: config(true), logger }),
      /landed in .* but preparing it failed: mariabackup --prepare failed: mariabackup exited 1: .*prepare failed/,
    );
  } finally {
    delete process.env.FAKE_PREPARE_FAIL;
    await tmp.cleanup();
  }
});

test('a backup made by another major version is refused, not prepared', async () => {
  const tmp = await makeTempDir();
  try {
    await landed(tmp.path);
    await writeFile(join(tmp.path, 'xtrabackup_info'), 'tool_name = mariabackup\ntool_version = 10.6.20-MariaDB\n');
    await assert.rejects(
      onBackupLanded(tmp.path, { bytes: 1, format: 'xbstream' }, source, { config: config(true), logger }),
      /made by mariabackup 10\.6\.20-MariaDB, the local mariabackup is 10\.11\.19: prepare it with mariabackup 10\.6\.x/,
    );
    assert.match(await readFile(join(tmp.path, 'xtrabackup_checkpoints'), 'utf8'), /full-backuped/);
  } finally {
    await tmp.cleanup();
  }
});
