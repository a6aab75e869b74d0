import { lstat, mkdir, stat, symlink } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { errorMessage } from '../../errors.js';
import { checkAllowed } from '../../fsutil/paths.js';
import { readArmedState } from '../../snapshot/state.js';
import type { Outcome, Session } from '../context.js';
import { sendStatus } from '../reply.js';
import { readCountedLines } from './extraLines.js';

export type LinkStep = { kind: 'mkdir'; dir: string } | { kind: 'link'; source: string; target: string };

/** The list ZRM sends: a directory to create, or a `SOURCE TARGET` pair for a symbolic link. */
function parseLinkLines(lines: readonly string[]): LinkStep[] {
  return lines
    .filter((l) => l.trim() !== '')
    .map((line): LinkStep => {
      const parts = line.trim().split(/\s+/);
      if (parts.length === 1) return { kind: 'mkdir', dir: parts[0] ?? '' };
      if (parts.length === 2) return { kind: 'link', source: parts[0] ?? '', target: parts[1] ?? '' };
      throw new Error(`cannot read link line '${line}'`);
    });
}

/** `ln -s SOURCE TARGET` without a shell: a TARGET that is a directory receives SOURCE's name. */
async function linkPath(source: string, target: string): Promise<string> {
  const st = await stat(target).catch(() => undefined);
  return st?.isDirectory() ? join(target, basename(source)) : target;
}

async function perform(s: Session, step: LinkStep): Promise<string> {
  const roots = s.deps.config.server.allowedRoots;
  if (step.kind === 'mkdir') {
    const dir = await checkAllowed(step.dir, roots, 'link directory');
    await mkdir(dir, { recursive: true, mode: 0o700 });
    return `mkdir ${dir}`;
  }
  const source = await checkAllowed(step.source, roots, 'link source');
  const target = await checkAllowed(await linkPath(source, step.target), roots, 'link target');
  if (await lstat(target).catch(() => undefined)) throw new Error(`link target '${target}' already exists`);
  await symlink(source, target);
  s.deps.logger.info(`createLink ${source} -> ${target}`);
  return `createLink ${source} ${target}`;
}

/**
 * `create-link`: ZRM links the "snapshot" files into <backup dir>/ZRM_LINKS before copying them.
 * While the redirect is armed those links are never read (the copy runs the backup tool), so
 * nothing is created: the mysql user usually may not create ZRM's backup directory here anyway.
 */
export async function createLink(s: Session): Promise<Outcome> {
  const lines = await readCountedLines(s.reader, 'create-link list');
  s.requestRead();
  const { config, logger } = s.deps;
  if (await readArmedState(config.state.dir, config.state.maxAge, logger)) {
    await sendStatus(s, true, [`snapshot redirect armed: ${lines.length} link line(s) not needed`]);
    return { ok: true, detail: 'skipped while armed' };
  }
  const done: string[] = [];
  try {
    for (const step of parseLinkLines(lines)) done.push(await perform(s, step));
  } catch (err) {
    const message = `create-link failed: ${errorMessage(err)}`;
    logger.error(message);
    await sendStatus(s, false, [...done, message]);
    return { ok: false, detail: message };
  }
  await sendStatus(s, true, done);
  return { ok: true, detail: `${done.length} step(s)` };
}
