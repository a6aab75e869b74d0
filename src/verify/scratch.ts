import { cp, statfs } from 'node:fs/promises';
import { VerifyFailure } from './failure.js';

// The scratch copy verify works on: the stored backup is only ever read.

/** Room for the copy plus what the prepare and the server add (redo log, undo, temp files). */
export function spaceNeeded(backupBytes: number): number {
  return Math.ceil(backupBytes * 1.1) + 48 * 1024 * 1024;
}

const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MiB`;

export function noSpace(detail: string): VerifyFailure {
  return new VerifyFailure('scratch', `scratch disk too small: ${detail}`, `verify needs a scratch copy of the whole backup; choose a larger place with --scratch (this says nothing about the backup itself)`);
}

export async function requireSpace(dir: string, needed: number): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < needed) throw noSpace(`${dir} has ${MiB(free)} free, about ${MiB(needed)} needed`);
}

export function isNoSpace(err: unknown): boolean {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT' || /No space left/i.test(String((err as Error | undefined)?.message));
}

export async function copyToScratch(from: string, to: string): Promise<void> {
  try {
    await cp(from, to, { recursive: true, errorOnExist: true, force: false, preserveTimestamps: true, verbatimSymlinks: true });
  } catch (err) {
    if (isNoSpace(err)) throw noSpace(`ran out of space copying the backup into ${to}`);
    throw err;
  }
}
