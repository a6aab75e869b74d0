import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { readMetadata } from '../restore/metadata.js';

// The backups ZRM stored on the backup host: <destination>/<set>/<YYYYMMDDhhmmss>/. A directory
// counts only with a completed marker: ZRM's `index` saying "Backup succeeded" (ZRM writes it when
// the run ends), or, with no index at all (a backup taken without ZRM), our zrm-innobackupex.json
// (written once the copy was verified and published). An index with any other status, or none
// yet (a run in progress, or one that died), is not a backup.

export interface StoredBackup {
  set: string;
  dir: string;
  /** When it was taken, ms since the epoch. */
  time: number;
  bytes?: number | undefined;
  seconds?: number | undefined;
}

export class DestinationUnreadable extends Error {}

function indexFields(text: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) m.set(line.slice(0, eq).trim(), line.slice(eq + 1).trim());
  }
  return m;
}

/** ZRM's 20261125125649 (local time) as ms. */
function fromStamp(stamp: string | undefined): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})(\d{2})(\d{2})(\d{2})$/.exec(stamp ?? '');
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s] = m.map(Number) as [number, number, number, number, number, number, number];
  return new Date(y, mo - 1, d, h, mi, s).getTime();
}

/** ZRM's backup-time=00:01:05. */
function hms(text: string | undefined): number | undefined {
  const m = /^(\d+):(\d{2}):(\d{2})$/.exec(text ?? '');
  return m ? Number(m[1]) * 3600 + Number(m[2]) * 60 + Number(m[3]) : undefined;
}

/** ZRM's backup-size=619.61 MB (binary units, as ZRM computes them). */
function zrmSize(text: string | undefined): number | undefined {
  const m = /^([\d.]+)\s*(B|KB|MB|GB|TB)$/i.exec(text ?? '');
  if (!m) return undefined;
  const power = ['B', 'KB', 'MB', 'GB', 'TB'].indexOf((m[2] ?? 'B').toUpperCase());
  return Math.round(Number(m[1]) * 1024 ** power);
}

/** The completed backup in `dir`, or undefined when `dir` holds none. */
async function completedBackup(dir: string, set: string): Promise<StoredBackup | undefined> {
  const index = await readFile(join(dir, 'index'), 'utf8').catch(() => undefined);
  const meta = await readMetadata(dir).catch(() => undefined);
  if (index !== undefined) {
    const f = indexFields(index);
    if (!/succeeded/i.test(f.get('backup-status') ?? '')) return undefined;
    const epoch = Number(f.get('backup-date-epoch'));
    const time = Number.isFinite(epoch) && epoch > 0 ? epoch * 1000 : (fromStamp(f.get('backup-date')) ?? fromStamp(basename(dir)) ?? (await stat(dir)).mtimeMs);
    return { set: f.get('backup-set') || set, dir, time, bytes: meta?.stream.bytes ?? zrmSize(f.get('backup-size')), seconds: hms(f.get('backup-time')) };
  }
  if (!meta) return undefined;
  const t = Date.parse(meta.receivedAt);
  return { set, dir, time: Number.isNaN(t) ? (await stat(dir)).mtimeMs : t, bytes: meta.stream.bytes };
}

async function subdirs(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  return entries.filter((e) => e.isDirectory() && !e.name.startsWith('.')).map((e) => e.name);
}

/**
 * Every completed backup under `root`: a ZRM destination (<root>/<set>/<stamp>/) or one backup
 * set's directory (<root>/<stamp>/). Throws DestinationUnreadable when `root` cannot be read.
 */
export async function storedBackups(root: string): Promise<StoredBackup[]> {
  let children: string[];
  try {
    children = await subdirs(root);
  } catch (err) {
    throw new DestinationUnreadable(`cannot read destination ${root}: ${(err as Error).message}`);
  }
  const found: StoredBackup[] = [];
  for (const child of children) {
    const direct = await completedBackup(join(root, child), basename(root));
    if (direct) {
      found.push(direct);
      continue;
    }
    const inner = await subdirs(join(root, child)).catch(() => [] as string[]);
    for (const name of inner) {
      const b = await completedBackup(join(root, child, name), child);
      if (b) found.push(b);
    }
  }
  return found;
}
