import { constants } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { parseRecord, recordLine, type HistoryRecord, type RecordKind } from './record.js';

// The run history: append-only JSON lines in the state directory, one file per kind of writer
// (the socket server runs as mysql, the copy plugin as root under ZRM, verify as whoever: each
// appends to a file its own user created). Bounded: a file that would grow past FILE_BYTES is
// rotated to .1, .2, ... and the oldest of KEEP_FILES dropped. Several server processes run at
// once under xinetd: an O_APPEND write of one line under PIPE_BUF lands whole, and rotation is
// done by whoever takes the lock file, the others just append. Never fails a backup: a write
// error is logged and the caller goes on.

const FILE_BYTES = 1024 * 1024;
const KEEP_FILES = 4;
const STALE_LOCK_MS = 30_000;
const FILE_PATTERN = /^history-(request|copy|verify)\.jsonl(\.\d+)?$/;

export interface StoreLimits {
  fileBytes: number;
  keepFiles: number;
}

const DEFAULT_LIMITS: StoreLimits = { fileBytes: FILE_BYTES, keepFiles: KEEP_FILES };

export function historyFile(stateDir: string, kind: RecordKind): string {
  return join(stateDir, `history-${kind}.jsonl`);
}

async function takeLock(lock: string): Promise<boolean> {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      await (await open(lock, 'wx', 0o600)).close();
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') return false;
      // A writer that died while rotating must not stop rotation for ever.
      const st = await stat(lock).catch(() => undefined);
      if (!st || Date.now() - st.mtimeMs < STALE_LOCK_MS) return false;
      await unlink(lock).catch(() => undefined);
    }
  }
  return false;
}

async function rotateIfFull(file: string, adding: number, limits: StoreLimits): Promise<void> {
  const size = (await stat(file).catch(() => undefined))?.size ?? 0;
  if (size + adding <= limits.fileBytes) return;
  const lock = `${file}.lock`;
  if (!(await takeLock(lock))) return; // another writer is rotating: append to what is there
  try {
    // Looked at again under the lock: the writer before us may have rotated already.
    const now = (await stat(file).catch(() => undefined))?.size ?? 0;
    if (now + adding <= limits.fileBytes) return;
    await unlink(`${file}.${limits.keepFiles - 1}`).catch(() => undefined);
    for (let i = limits.keepFiles - 2; i >= 1; i--) await rename(`${file}.${i}`, `${file}.${i + 1}`).catch(() => undefined);
    await rename(file, `${file}.1`);
  } finally {
    await unlink(lock).catch(() => undefined);
  }
}

export interface AppendOptions {
  /**
   * Create the state directory when it is missing: only for one the settings name. The default
   * one belongs to the package (and to the server's user); a client or a root process making it
   * would lock the server out of it.
   */
  create?: boolean;
  limits?: StoreLimits;
}

/** Appends one record; never throws (a failure is logged as a warning). */
export async function appendRecord(stateDir: string, record: HistoryRecord, logger?: Logger, opts: AppendOptions = {}): Promise<void> {
  const file = historyFile(stateDir, record.kind);
  const limits = opts.limits ?? DEFAULT_LIMITS;
  try {
    const line = Buffer.from(recordLine(record));
    if (opts.create) {
      await mkdir(stateDir, { recursive: true, mode: 0o700 });
    } else if (!(await stat(stateDir).catch(() => undefined))?.isDirectory()) {
      logger?.debug(`run history: ${stateDir} does not exist, the ${record.kind} is not recorded`);
      return;
    }
    await rotateIfFull(file, line.length, limits);
    const handle = await open(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o640);
    try {
      // One write() call: with O_APPEND the line lands whole after whatever others wrote.
      const { bytesWritten } = await handle.write(line, 0, line.length);
      if (bytesWritten !== line.length) throw new Error(`short write (${bytesWritten} of ${line.length} bytes)`);
    } finally {
      await handle.close();
    }
  } catch (err) {
    logger?.warn(`run history: could not record the ${record.kind} in ${file}: ${errorMessage(err)} (the ${record.kind} itself is not affected)`);
  }
}

/** Thrown when the state directory cannot be read: check says UNKNOWN. */
export class StoreUnreadable extends Error {}

/** Every record in the store, oldest first; [] when there is no history yet. */
export async function readHistory(stateDir: string): Promise<HistoryRecord[]> {
  let names: string[];
  try {
    names = (await readdir(stateDir)).filter((n) => FILE_PATTERN.test(n));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new StoreUnreadable(`cannot read the run history in ${stateDir}: ${errorMessage(err)}`);
  }
  const records: HistoryRecord[] = [];
  for (const name of names) {
    let text: string;
    try {
      text = await readFile(join(stateDir, name), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') continue; // rotated away meanwhile
      throw new StoreUnreadable(`cannot read ${join(stateDir, name)}: ${errorMessage(err)}`);
    }
    for (const line of text.split('\n')) {
      const r = line === '' ? undefined : parseRecord(line);
      if (r) records.push(r);
    }
  }
  return records.sort((a, b) => a.end.localeCompare(b.end));
}

/** Whether any history file exists (an empty store and a missing one look alike to readHistory). */
export async function hasHistory(stateDir: string): Promise<boolean> {
  const names = await readdir(stateDir).catch(() => [] as string[]);
  return names.some((n) => FILE_PATTERN.test(n));
}
