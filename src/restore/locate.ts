import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { ExitCode, ExitError } from '../errors.js';
import { describeTarExit } from '../tar/tar.js';
import { CHECKPOINTS_FILE } from './backupFiles.js';

// Where the hot backup is inside what the user names: the backup itself, a directory that
// holds one (ZRM's backup directory: the copy lands in <set>/<timestamp>/ beside ZRM's own
// `index`), or a tar archive (ZRM's compressed `backup-data`, or a .tar.gz the user made).

export type Located = { kind: 'dir'; dir: string } | { kind: 'archive'; file: string };

const MAX_DEPTH = 3;
const ARCHIVE_NAME = /^(backup-data|.*\.(tar|tar\.gz|tgz|tar\.bz2|tar\.xz))$/;

async function isDir(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function search(dir: string, depth: number, found: Located[]): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  if (entries.some((e) => e.name === CHECKPOINTS_FILE && e.isFile())) {
    found.push({ kind: 'dir', dir });
    return;
  }
  for (const e of entries) {
    if (e.isFile() && ARCHIVE_NAME.test(e.name)) found.push({ kind: 'archive', file: join(dir, e.name) });
  }
  if (depth >= MAX_DEPTH) return;
  for (const e of entries) {
    if (e.isDirectory() && !e.name.startsWith('.')) await search(join(dir, e.name), depth + 1, found);
  }
}

export async function locateBackup(path: string): Promise<Located> {
  const st = await stat(path).catch(() => undefined);
  if (!st) throw new ExitError(`${path} does not exist`, ExitCode.usage);
  if (st.isFile()) return { kind: 'archive', file: path };
  const found: Located[] = [];
  await search(path, 0, found);
  const first = found[0];
  if (!first) {
    throw new ExitError(`no hot backup in ${path}: found no ${CHECKPOINTS_FILE}, no backup-data and no .tar.gz (looked ${MAX_DEPTH} levels deep)`, ExitCode.usage);
  }
  if (found.length > 1) {
    const list = found.map((f) => (f.kind === 'dir' ? f.dir : f.file)).join(', ');
    throw new ExitError(`more than one backup in ${path} (${list}): name the one you mean`, ExitCode.usage);
  }
  return first;
}

/** Extracts an archive (GNU tar detects gzip, bzip2, xz) into `into`, then locates the backup in it. */
export async function extractArchive(file: string, into: string): Promise<string> {
  const r = await execa('tar', ['-x', '-i', '-p', '-f', file, '-C', into], { reject: false, stdin: 'ignore', cwd: '/' });
  if (r.exitCode !== 0) {
    if (/No space left/i.test(String(r.stderr))) throw new ExitError(`no space left in ${into} while unpacking ${file}`, ExitCode.failure);
    throw new ExitError(`${file} is not a readable (compressed) tar archive: ${describeTarExit('tar -x', r)}`, ExitCode.integrity);
  }
  const inner = await locateBackup(into);
  if (inner.kind !== 'dir' || !(await isDir(inner.dir))) throw new ExitError(`${file} holds no hot backup (no ${CHECKPOINTS_FILE})`, ExitCode.integrity);
  return inner.dir;
}
