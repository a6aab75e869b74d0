import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, join, normalize } from 'node:path';
import { errorMessage } from '../../errors.js';
import { checkAllowed } from '../../fsutil/paths.js';
import { listTreeInsideRoots } from '../../fsutil/treeInside.js';
import { hasWildcard, wildcardMatch } from '../../fsutil/wildcard.js';
import { startTarCreateFromList, tarStatus } from '../../tar/tar.js';
import type { Outcome, Session } from '../context.js';
import { sendStream } from '../dataSender.js';
import { refuseRequest, sendStreamGreeting } from '../reply.js';

/** The old server expanded a '*' in the last component; so do we, without a shell. */
async function expandBasename(dir: string, pattern: string): Promise<string[]> {
  if (!hasWildcard(pattern)) return [pattern];
  return (await readdir(dir)).filter((n) => !n.startsWith('.') && wildcardMatch(pattern, n)).sort();
}

export async function streamPathAsTar(s: Session, requested: string): Promise<Outcome> {
  let dir: string;
  let names: string[];
  let files: string[];
  try {
    await checkAllowed(requested, s.deps.config.server.allowedRoots, 'source file');
    // Split as the old server did: '<dir>/ZRM_LINKS/.' is '.' inside ZRM_LINKS, not ZRM_LINKS's parent.
    dir = normalize(dirname(requested));
    names = await expandBasename(dir, basename(requested));
    // tar would send an empty archive for a missing name: the client must hear an error instead.
    for (const name of names) await stat(join(dir, name));
    // Every file tar will read, links followed, checked against the roots (expanded names too).
    files = await listTreeInsideRoots(dir, names, s.deps.config.server.allowedRoots);
  } catch (err) {
    return refuseRequest(s, `copy from refused: ${errorMessage(err)}`);
  }
  if (names.length === 0) return refuseRequest(s, `copy from: nothing matches '${requested}'`);

  const tar = startTarCreateFromList(dir, files, s.deps.run);
  let status;
  try {
    await sendStreamGreeting(s, 'tar');
    status = await sendStream(s, tar.stdout, () => tarStatus(tar), () => tar.kill());
  } finally {
    // The client may have gone: don't leave tar blocked on a pipe nobody reads.
    tar.kill();
  }
  if (!status.ok) s.deps.logger.error(`copy from '${requested}': ${status.message}`);
  return { ok: status.ok, detail: status.ok ? `tar of ${names.length} name(s) from ${dir}` : status.message };
}
