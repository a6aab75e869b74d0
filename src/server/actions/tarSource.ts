import { readdir } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { errorMessage } from '../../errors.js';
import { writeAll } from '../../protocol/io.js';
import { checkAllowed } from '../../fsutil/paths.js';
import { describeTarExit, startTarCreate } from '../../tar/tar.js';
import type { Outcome, Session } from '../context.js';
import { sendStream } from '../dataSender.js';
import { sendV2Greeting } from '../reply.js';

/** The old server expanded a '*' in the last component; so do we, without a shell. */
async function expandBasename(dir: string, pattern: string): Promise<string[]> {
  if (!/[*?]/.test(pattern)) return [pattern];
  const re = new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
  const names = (await readdir(dir)).filter((n) => re.test(n) && !n.startsWith('.')).sort();
  return names;
}

async function refuse(s: Session, message: string): Promise<Outcome> {
  s.deps.logger.error(message);
  if (s.protocol === 'v2') await writeAll(s.output, `ERROR ${message}\n`);
  // A 1.8b5 client cannot hear an error: it gets an empty stream, which our own client rejects.
  return { ok: false, detail: message };
}

export async function streamPathAsTar(s: Session, requested: string): Promise<Outcome> {
  let dir: string;
  let names: string[];
  try {
    const path = await checkAllowed(requested, s.deps.config.server.allowedRoots, 'source file');
    dir = dirname(path);
    names = await expandBasename(dir, basename(requested));
  } catch (err) {
    return refuse(s, `copy from refused: ${errorMessage(err)}`);
  }
  if (names.length === 0) return refuse(s, `copy from: nothing matches '${requested}'`);

  const tar = startTarCreate(dir, names);
  await sendV2Greeting(s, 'tar');
  const status = await sendStream(s, tar.stdout, async () => {
    const r = await tar;
    const ok = r.exitCode === 0;
    return { ok, exitCode: r.exitCode ?? null, message: ok ? 'tar completed' : describeTarExit('tar', r) };
  });
  if (!status.ok) s.deps.logger.error(`copy from '${requested}': ${status.message}`);
  return { ok: status.ok, detail: status.ok ? `tar of ${names.length} name(s) from ${dir}` : status.message };
}
