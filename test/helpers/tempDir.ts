import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A fresh directory for one test; removed by the returned cleanup. */
export async function makeTempDir(prefix = 'zrm-test-', parent?: string): Promise<{ path: string; cleanup: () => Promise<void> }> {
  const path = await mkdtemp(join(parent ?? process.env.ZRM_TEST_TMP ?? tmpdir(), prefix));
  return { path, cleanup: () => rm(path, { recursive: true, force: true }) };
}

/** Runs `fn` in a fresh directory, removed afterwards whatever `fn` did. */
export async function withTempDir<T>(prefix: string, fn: (dir: string) => Promise<T>): Promise<T> {
  const tmp = await makeTempDir(prefix);
  try {
    return await fn(tmp.path);
  } finally {
    await tmp.cleanup();
  }
}
