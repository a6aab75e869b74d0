import { rmSync } from 'node:fs';
import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Writable } from 'node:stream';
import type { StreamFormat } from '../protocol/streamFormat.js';
import { ExitError, IntegrityError, errorMessage } from '../errors.js';
import { processAlive } from '../process/alive.js';
import { releaseDeadBuffers } from '../process/deadBuffers.js';
import { endWritable, writeReleased } from '../protocol/io.js';
import { STAGING_PREFIX } from '../fsutil/paths.js';
import { describeTarExit, startTarExtract } from '../tar/tar.js';
import { extractXbstream } from '../xbstream/extract.js';
import { moveInto } from './moveInto.js';
import { checkStagedTree } from './stagedTree.js';
import { requireTarEnd } from './tarEndCheck.js';

export interface ReceiveResult {
  bytes: number;
}

interface Counter {
  bytes: number;
  /** What the sender's side reported (bad frame, failed trailer): the real cause of a failure. */
  sourceError?: unknown;
}

/**
 * `source`, its pieces counted as they pass. A plain iterator over the source's own, not an
 * async generator: a generator layer costs every 64 KiB piece a few promises more.
 */
function counted(source: AsyncIterable<Buffer>, counter: Counter): AsyncIterable<Buffer> {
  return {
    [Symbol.asyncIterator]: (): AsyncIterator<Buffer> => {
      const it = source[Symbol.asyncIterator]();
      return {
        next: () =>
          it.next().then(
            (r) => {
              if (r.done !== true) {
                counter.bytes += r.value.length;
                releaseDeadBuffers(r.value.length); // every received stream, v2 or 1.8b5, tar or xbstream
              }
              return r;
            },
            (err: unknown) => {
              counter.sourceError = err;
              throw err;
            },
          ),
        // A consumer that stops early (a bad chunk) closes the source, as for-await would.
        return: async (value?: unknown) => (await it.return?.(value)) ?? { done: true, value: undefined },
      };
    },
  };
}

// Straight into tar's stdin (Readable.from and pipeline added two stream hops per chunk), each
// chunk handed over whole before the next is asked for: a source may reuse its buffer (a 1.8b5
// stream's decoder does). For chunks of 16 KiB and more this is what waiting out a full pipe did.
async function feedTar(source: AsyncIterable<Buffer>, stdin: Writable): Promise<void> {
  for await (const chunk of source) await writeReleased(stdin, chunk);
  await endWritable(stdin);
}

async function extractTar(source: AsyncIterable<Buffer>, dir: string, counter: { bytes: number }): Promise<void> {
  const tar = startTarExtract(dir);
  let feedError: unknown;
  await feedTar(source, tar.stdin).catch((err: unknown) => {
    feedError = err;
    tar.stdin.destroy();
    tar.kill();
  });
  const r = await tar;
  if (feedError) throw feedError;
  // GNU tar refuses empty input; whether an empty stream is acceptable is the caller's call.
  if (r.exitCode !== 0 && counter.bytes > 0) throw new ExitError(describeTarExit('tar -x', r));
}

export interface ReceiveOptions {
  allowEmpty?: boolean;
  /** A last check before anything is published, e.g. that the local producer exited 0. */
  beforePublish?: () => Promise<void>;
  /** Largest apparent size an xbstream may give one file ([client] max_file_size). */
  maxFileSize?: bigint;
  /** Where the symbolic links of a tar may lead once published; default: inside destDir. */
  linkRoots?: readonly string[];
  /** Fail a tar stream that ends without tar's end-of-archive blocks (1.8b5: no other end marker). */
  requireTarEnd?: boolean;
  /** Files the stream must have carried, each under one of its names (a hot backup's), else nothing lands. */
  requireFiles?: ReadonlyArray<readonly string[]>;
}

async function requireStaged(staging: string, files: ReadonlyArray<readonly string[]>): Promise<void> {
  for (const names of files) {
    let found = false;
    for (const name of names) found ||= (await lstat(join(staging, name)).catch(() => undefined))?.isFile() === true;
    if (!found) {
      throw new IntegrityError(`the stream carried no ${names.join(' or ')}: it is not a whole hot backup (the backup tool's stream was cut short, or the tool failed without saying so)`);
    }
  }
}

// Staging of receives under way, removed if the process exits before they end (a signal turned
// into process.exit: exitOnSignals): ZRM never copies into that directory again.
const liveStaging = new Set<string>();
let exitHookInstalled = false;

function removeOnExit(dir: string): () => void {
  if (!exitHookInstalled) {
    process.on('exit', () => {
      for (const d of liveStaging) rmSync(d, { recursive: true, force: true });
    });
    exitHookInstalled = true;
  }
  liveStaging.add(dir);
  return () => liveStaging.delete(dir);
}

/**
 * Removes what receivers that were killed (SIGKILL, a reboot) left staged in `destDir`: half a
 * stream that ZRM would otherwise archive with the backup. Only ours (named with their pid), and
 * only of processes that are gone.
 */
async function sweepDeadStaging(destDir: string): Promise<void> {
  for (const name of await readdir(destDir).catch(() => [] as string[])) {
    if (!name.startsWith(STAGING_PREFIX)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(STAGING_PREFIX.length))?.[1]);
    if (pid > 0 && !processAlive(pid)) await rm(join(destDir, name), { recursive: true, force: true });
  }
}

/**
 * Extracts a received stream into a hidden staging directory inside `destDir` and moves the
 * result into place only once the whole stream (and, in v2, its trailer) checked out: a failed
 * transfer leaves nothing behind that could pass for a complete backup, and a tar's links
 * that would lead out of `linkRoots` are refused before anything is published.
 */
export async function receiveIntoDir(frames: AsyncIterable<Buffer>, format: StreamFormat, destDir: string, opts: ReceiveOptions = {}): Promise<ReceiveResult> {
  const counter: Counter = { bytes: 0 };
  await sweepDeadStaging(destDir);
  const staging = await mkdtemp(join(destDir, `${STAGING_PREFIX}${process.pid}-`));
  const forget = removeOnExit(staging);
  const emptyStream = () =>
    new IntegrityError('the server sent an empty stream (the source is missing, or the backup tool failed: see the server logs)');
  try {
    const source = counted(opts.requireTarEnd && format === 'tar' ? requireTarEnd(frames) : frames, counter);
    if (format === 'xbstream') await extractXbstream(source, staging, opts.maxFileSize === undefined ? {} : { maxFileSize: opts.maxFileSize });
    else await extractTar(source, staging, counter);
    if (format === 'tar') await checkStagedTree(staging, destDir, opts.linkRoots ?? [destDir]);
    if (counter.bytes === 0 && !opts.allowEmpty) throw emptyStream();
    if (opts.requireFiles !== undefined) await requireStaged(staging, opts.requireFiles);
    await opts.beforePublish?.();
    await moveInto(staging, destDir);
    return { bytes: counter.bytes };
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    // tar's own complaint about nothing ("does not look like a tar archive") says less than this.
    if (counter.sourceError instanceof ExitError) throw counter.sourceError;
    if (counter.bytes === 0 && !opts.allowEmpty) throw emptyStream();
    if (err instanceof ExitError) throw err;
    throw new ExitError(`receiving into ${destDir} failed: ${errorMessage(err)}`, undefined, { cause: err });
  } finally {
    forget();
  }
}
