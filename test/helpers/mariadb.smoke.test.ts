import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeTempDir } from './tempDir.js';
import { loadSampleData, startMariaDb, tableChecksums } from './mariadb.js';

test('throwaway MariaDB starts, takes data and checksums it', async () => {
  const tmp = await makeTempDir();
  const db = await startMariaDb(tmp.path);
  try {
    await loadSampleData(db, 'smoke', 2, 100);
    const sums = await tableChecksums(db, 'smoke');
    assert.equal(sums.length, 2);
    assert.match(sums[0] ?? '', /^smoke\.t0\t\d+$/);
  } finally {
    await db.stop();
    await tmp.cleanup();
  }
});
