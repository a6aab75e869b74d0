import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory for one test; removed by the returned cleanup. */
export async function makeTempDir(prefix = 'zrm-test-', parent?: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(parent ?? process.env.ZRM_TEST_TMP ?? tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}
