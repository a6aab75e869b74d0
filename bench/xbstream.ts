// xbstream extraction: MariaDB's own `mbstream -x` (the baseline) against our extractXbstream,
// both reading the same stream file made here with XbstreamWriter (10 MiB chunks, as the
// backup tools write them). mbstream reads its stdin a whole chunk payload at a time; our
// source reads the file in 1 MiB pieces (READ_BYTES), and one more row in the 64 KiB pieces a
// socket hands over, where Node's stream machinery per piece is most of the cost.
import { createReadStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { treeSize } from '../src/fsutil/treeSize.js';
import { extractXbstream } from '../src/xbstream/extract.js';
import { WRITER_CHUNK_SIZE, XbstreamWriter } from '../src/xbstream/writer.js';
import type { BenchConfig } from './config.js';
import { dataBuffer } from './data.js';
import { fdStdin, ownPeakRssKiB, runTool, runWorker, type WorkerResult } from './measure.js';
import type { Row } from './report.js';
import type { Plan, Run } from './rounds.js';

export interface XbstreamArgs {
  file: string;
  dest: string;
  bytes: number;
  fsync: boolean;
  /** Size of each read of the stream file (the source's highWaterMark). */
  readBytes: number;
}

/** Pieces the source reads the stream file in (mbstream reads a 10 MiB payload at once). */
const READ_BYTES = 1024 * 1024;
/** What a socket typically hands over at a time. */
const SOCKET_BYTES = 64 * 1024;

/** The paths in the stream: a shared tablespace at the top, the rest in a database directory. */
function streamPaths(n: number): string[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 'ibdata1' : `benchdb/t${i}.ibd`));
}

/** Writes an xbstream of `files` files holding `bytes` payload bytes in all. */
export async function makeXbstreamFile(path: string, bytes: number, files: number): Promise<void> {
  const writer = new XbstreamWriter();
  const chunk = dataBuffer(WRITER_CHUNK_SIZE);
  const fh = await open(path, 'wx', 0o600);
  try {
    const names = streamPaths(files);
    for (const [i, name] of names.entries()) {
      const size = Math.floor(bytes / files) + (i === 0 ? bytes % files : 0);
      for (let left = size; left > 0; left -= chunk.length) {
        await fh.write(writer.payload(name, chunk.subarray(0, Math.min(left, chunk.length))));
      }
      await fh.write(writer.eof(name));
    }
  } finally {
    await fh.close();
  }
}

/** Worker side: our extractor, timed from opening the stream to the last file closed. */
export async function xbstreamTask(args: XbstreamArgs): Promise<WorkerResult> {
  const started = performance.now();
  const r = await extractXbstream(createReadStream(args.file, { highWaterMark: args.readBytes }), args.dest, { fsync: args.fsync });
  const wallMs = performance.now() - started;
  if (Number(r.bytes) !== args.bytes) throw new Error(`extractXbstream wrote ${r.bytes} of ${args.bytes} bytes`);
  return { kind: 'result', wallMs, bytes: Number(r.bytes), rssKiB: ownPeakRssKiB() };
}

async function mbstreamBaseline(file: string, dest: string, bytes: number, scratch: string): Promise<Row> {
  await mkdir(dest);
  const input = await open(file, 'r');
  let rssKiB: number | null;
  const started = performance.now();
  try {
    ({ rssKiB } = await runTool('mbstream', ['-x', '-C', dest], join(scratch, 'mbstream.rss'), {
      stdin: fdStdin(input.fd),
      stdout: 'ignore',
    }));
  } finally {
    await input.close();
  }
  const wallMs = performance.now() - started;
  const written = await treeSize(dest);
  if (written !== bytes) throw new Error(`mbstream -x wrote ${written} of ${bytes} bytes`);
  return { name: 'mbstream -x', wallMs, bytes, rssKiB };
}

/** Each run extracts into a fresh directory, removed afterwards. */
function inFreshDir(name: string, dest: string, extract: () => Promise<Row>): Run {
  return {
    name,
    run: async () => {
      try {
        return { ...(await extract()), name };
      } finally {
        await rm(dest, { recursive: true, force: true });
      }
    },
  };
}

/**
 * Parent side: makes the stream file; mbstream, then our extractor with and without fsync, and
 * with fsync from 64 KiB pieces.
 */
export async function xbstreamPlan(cfg: BenchConfig, tmp: string): Promise<Plan> {
  const file = join(tmp, 'bench.xbstream');
  await makeXbstreamFile(file, cfg.bytes, cfg.xbFiles);
  const ours = (fsync: boolean, readBytes = READ_BYTES): Run => {
    const dest = join(tmp, `xb-ours-${fsync ? 'fsync' : 'nofsync'}-${readBytes}`);
    const name = readBytes !== READ_BYTES ? `extractXbstream (fsync, ${readBytes / 1024} KiB reads)`
      : fsync ? 'extractXbstream (fsync, default)' : 'extractXbstream (fsync: false)';
    return inFreshDir(name, dest, async () => {
      const r = await runWorker('xbstream', { file, dest, bytes: cfg.bytes, fsync, readBytes } satisfies XbstreamArgs);
      return { name, wallMs: r.wallMs, bytes: r.bytes, rssKiB: r.rssKiB };
    });
  };
  const mbDest = join(tmp, 'xb-mbstream');
  return {
    group: 'xbstream',
    what: `extracting ${cfg.xbFiles} files from a ${(cfg.bytes / 1024 / 1024).toFixed(0)} MiB stream file in ${WRITER_CHUNK_SIZE / 1024 / 1024} MiB chunks`,
    runs: [inFreshDir('mbstream -x', mbDest, () => mbstreamBaseline(file, mbDest, cfg.bytes, tmp)), ours(false), ours(true), ours(true, SOCKET_BYTES)],
    cleanup: () => rm(file, { force: true }),
  };
}
