// What the benchmark measures how much of, from the environment. Defaults fit a 2-core machine
// in about three minutes; every size can be turned down for a quick look or up for a soak.

export interface BenchConfig {
  /** Bytes of data per case (wire payload, xbstream payload, file copied end to end). */
  bytes: number;
  /** Size of each write a producer makes (tar on a pipe hands Node 64 KiB at a time). */
  writeBytes: number;
  /** Files in the generated xbstream. */
  xbFiles: number;
  /** Bytes of InnoDB data in the throwaway MariaDB of the hotpath group. */
  dbBytes: number;
  /** Stream sizes of the rss group, MiB: its peak RSS must be the same at each. */
  rssSizesMiB: number[];
  /** Node flags of extra rss rows (at the first size): what starting node with them would buy. */
  rssNodeFlags: string[];
  /** Groups to run: wire, xbstream, e2e, hotpath, startup, rss, compression. */
  groups: Set<string>;
  /** Times each run is repeated; the median wall time is reported. */
  repeat: number;
  /** Where the temp root goes (defaults to os.tmpdir()). */
  tmpBase: string | undefined;
}

export const ALL_GROUPS = ['wire', 'xbstream', 'e2e', 'pair', 'hotpath', 'startup', 'rss', 'compression'] as const;

function positiveNumber(env: NodeJS.ProcessEnv, name: string, def: number): number {
  const text = env[name];
  if (text === undefined || text.trim() === '') return def;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${text}'`);
  return n;
}

function sizeList(env: NodeJS.ProcessEnv, name: string, def: number[]): number[] {
  const text = env[name];
  if (text === undefined || text.trim() === '') return def;
  const sizes = text.split(',').map((t) => Number(t.trim()));
  if (sizes.some((n) => !Number.isInteger(n) || n <= 0)) throw new Error(`${name} must be MiB sizes separated by commas (e.g. 1024,4096), got '${text}'`);
  return sizes;
}

export function benchConfig(env: NodeJS.ProcessEnv): BenchConfig {
  const mb = positiveNumber(env, 'BENCH_MB', 256);
  const groups = (env.BENCH_ONLY ?? ALL_GROUPS.join(','))
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  for (const g of groups) {
    if (!(ALL_GROUPS as readonly string[]).includes(g)) {
      throw new Error(`BENCH_ONLY: unknown group '${g}' (known: ${ALL_GROUPS.join(', ')})`);
    }
  }
  return {
    bytes: Math.round(mb * 1024 * 1024),
    writeBytes: Math.round(positiveNumber(env, 'BENCH_WRITE_KB', 64) * 1024),
    xbFiles: Math.round(positiveNumber(env, 'BENCH_XB_FILES', 4)),
    dbBytes: Math.round(positiveNumber(env, 'BENCH_DB_MB', 1024) * 1024 * 1024),
    rssSizesMiB: sizeList(env, 'BENCH_RSS_SIZES', [1024, 4096]),
    rssNodeFlags: (env.BENCH_RSS_NODE_FLAGS ?? '').split(' ').filter((f) => f !== ''),
    groups: new Set(groups),
    repeat: Math.round(positiveNumber(env, 'BENCH_REPEAT', 3)),
    tmpBase: env.BENCH_TMPDIR,
  };
}
