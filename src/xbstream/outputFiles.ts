// The files an extraction is writing: which are open, how far each has got, which are done.
// Only `maxOpen` descriptors are held at a time; a file pushed out is reopened (and checked to
// be the same inode) when its next chunk comes.
import type { FileHandle } from 'node:fs/promises';
import { IntegrityError } from '../errors.js';
import { createFile, ensureParents, reopenFile } from './safePath.js';

export interface OutputFile {
  rel: string;
  parts: readonly string[];
  /** Logical size so far (data and holes): the offset the next chunk must carry. */
  pos: bigint;
  /** End of the last byte actually written; less than pos when the file ends in a hole. */
  end: bigint;
  fh: FileHandle | null;
  ino: bigint;
  dev: bigint;
}

export interface OutputFilesOptions {
  fileMode: number;
  dirMode: number;
  maxOpen: number;
  fsync: boolean;
}

/**
 * Finished files whose fsync may still be running while the stream goes on. A backup of many
 * small files would otherwise wait for the disk once per file; bounded, so descriptors are too.
 */
const MAX_PENDING_SYNCS = 16;

export class OutputFiles {
  private readonly pendingSyncs = new Set<Promise<void>>();
  private syncError: unknown;
  private readonly active = new Map<string, OutputFile>();
  private readonly lru = new Map<string, OutputFile>(); // those holding an fd, oldest first
  private readonly finished = new Set<string>();
  private readonly dirs = new Set<string>();

  constructor(private readonly root: string, private readonly opts: OutputFilesOptions) {}

  /** The file a P or S chunk goes to, with an open descriptor. */
  async forData(rel: string, parts: readonly string[]): Promise<OutputFile & { fh: FileHandle }> {
    if (this.finished.has(rel)) throw new IntegrityError(`xbstream: data for ${rel} after its E chunk`);
    const f = this.active.get(rel) ?? (await this.create(rel, parts));
    if (f.fh === null) {
      await this.makeRoom();
      f.fh = await reopenFile(this.root, f.parts, f.ino, f.dev);
    }
    this.lru.delete(rel);
    this.lru.set(rel, f);
    return f as OutputFile & { fh: FileHandle };
  }

  /** Handles an E chunk: gives the file its full length and closes it. Returns its size. */
  async finish(rel: string, parts: readonly string[]): Promise<bigint> {
    if (this.finished.has(rel)) throw new IntegrityError(`xbstream: ${rel} appears again after its E chunk`);
    const f = this.active.get(rel) ?? (await this.create(rel, parts)); // E alone: an empty file
    const fh = f.fh ?? (await reopenFile(this.root, f.parts, f.ino, f.dev));
    f.fh = fh;
    this.lru.delete(rel);
    this.active.delete(rel);
    this.finished.add(rel);
    f.fh = null;
    try {
      if (f.pos > f.end) await fh.truncate(Number(f.pos)); // a trailing hole
    } catch (err) {
      await fh.close();
      throw err;
    }
    if (this.opts.fsync) await this.syncInBackground(fh);
    else await fh.close();
    return f.pos;
  }

  /**
   * Waits until every finished file is on disk (fsync'd and closed); throws the first failure.
   * Call before the extraction is reported complete.
   */
  async settle(): Promise<void> {
    while (this.pendingSyncs.size > 0) await Promise.all([...this.pendingSyncs]);
    if (this.syncError !== undefined) throw this.syncError;
  }

  // fsync, then close, without holding up the stream; at most MAX_PENDING_SYNCS at a time.
  private async syncInBackground(fh: FileHandle): Promise<void> {
    while (this.pendingSyncs.size >= MAX_PENDING_SYNCS) await Promise.race([...this.pendingSyncs]);
    if (this.syncError !== undefined) {
      await fh.close();
      throw this.syncError;
    }
    const op: Promise<void> = fh
      .sync()
      .catch((err: unknown) => {
        this.syncError ??= err;
      })
      .finally(() => fh.close().catch(() => undefined))
      .finally(() => this.pendingSyncs.delete(op));
    this.pendingSyncs.add(op);
  }

  /** Files that got data but no E chunk. */
  unfinished(): string[] {
    return [...this.active.keys()];
  }

  async closeAll(): Promise<void> {
    await Promise.all([...this.pendingSyncs]);
    const open = [...this.lru.values()];
    this.lru.clear();
    for (const f of open) {
      const fh = f.fh;
      f.fh = null;
      await fh?.close().catch(() => undefined);
    }
  }

  private async create(rel: string, parts: readonly string[]): Promise<OutputFile> {
    await this.makeRoom();
    await ensureParents(this.root, parts, this.opts.dirMode, this.dirs);
    const fh = await createFile(this.root, parts, this.opts.fileMode);
    const st = await fh.stat({ bigint: true });
    const f: OutputFile = { rel, parts, pos: 0n, end: 0n, fh, ino: st.ino, dev: st.dev };
    this.active.set(rel, f);
    this.lru.set(rel, f);
    return f;
  }

  private async makeRoom(): Promise<void> {
    while (this.lru.size >= this.opts.maxOpen) {
      const [rel, oldest] = this.lru.entries().next().value as [string, OutputFile];
      this.lru.delete(rel);
      const fh = oldest.fh;
      oldest.fh = null;
      await fh?.close();
    }
  }
}
