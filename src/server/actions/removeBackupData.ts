import { readdir, rm, rmdir } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { checkAllowed } from '../../fsutil/paths.js';
import type { Outcome, Session } from '../context.js';
import { sendStatus } from '../reply.js';
import { assertNotRoot } from '../rootGuard.js';

/** What `<N|LINKS|MOUNTS> <dir>` asks to remove, as a pure function of the params. */
function parseRemoveParams(params: string): { kind: 'LINKS' | 'MOUNTS' | 'BACKUP'; id?: string; dir: string } {
  const m = /^(\S+)\s+(\S.*)$/.exec(params.trim());
  if (!m) throw new Error(`expected '<id|LINKS|MOUNTS> <directory>', got '${params}'`);
  const [, what = '', dir = ''] = m;
  if (what === 'LINKS' || what === 'MOUNTS') return { kind: what, dir };
  if (/^\d+$/.test(what)) return { kind: 'BACKUP', id: what, dir };
  throw new Error(`unknown kind of backup data '${what}'`);
}

async function removeTree(path: string, roots: readonly string[]): Promise<void> {
  await assertNotRoot(path, roots, 'backup data');
  await rm(path, { recursive: true, force: true });
}

async function isRoot(path: string, roots: readonly string[]): Promise<boolean> {
  return assertNotRoot(path, roots, 'backup directory').then(
    () => false,
    () => true,
  );
}

/** `remove-backup-data`: 1.8b5 sends no reply; v2 gets a status block. */
export async function removeBackupData(s: Session): Promise<Outcome> {
  let result: Outcome;
  try {
    const req = parseRemoveParams(s.header.params);
    const dir = await checkAllowed(req.dir, s.deps.config.server.allowedRoots, 'backup directory');
    const roots = s.deps.config.server.allowedRoots;
    if (req.kind === 'LINKS') {
      await removeTree(join(dir, 'ZRM_LINKS'), roots);
    } else if (req.kind === 'MOUNTS') {
      await removeTree(join(dir, 'ZRM_MOUNTS'), roots);
      const left = await readdir(dir).catch(() => undefined);
      // An empty backup directory goes, but never an allowed root itself.
      if (left && left.length === 0 && !(await isRoot(dir, roots))) await rmdir(dir);
    } else {
      // <dir>/BACKUP may be a link: the directory the entry is removed from must be allowed too.
      const parent = await checkAllowed(join(dir, 'BACKUP'), roots, 'backup directory');
      await removeTree(join(parent, `BACKUP-${req.id ?? ''}`), roots);
    }
    result = { ok: true, detail: `${req.kind} of ${dir}` };
  } catch (err) {
    result = { ok: false, detail: `remove-backup-data refused: ${errorMessage(err)}` };
    s.deps.logger.error(result.detail);
  }
  if (s.protocol === 'v2') await sendStatus(s, result.ok, [result.detail]);
  return result;
}
