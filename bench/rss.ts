// Peak RSS of the processes users run, by stream size: the bundled program (dist/app) started
// as `socket-server` with the connection on fds 0 and 1, as xinetd starts it, serving `copy from`
// of one file to the same bundle started as `socket-copy`, as ZRM starts the copy plugin; each
// under GNU time. The same copy at each size of BENCH_RSS_SIZES: with every stage streamed and
// back-pressured, the peak RSS of a row must not grow with its size.
import { mkdir, rm, statfs } from 'node:fs/promises';
import { join } from 'node:path';
import type { ClientProtocol } from '../src/config/appConfig.js';
import type { BenchConfig } from './config.js';
import { writeDataFile } from './data.js';
import { checkedRun } from './e2e.js';
import { hasGnuTime, runTool } from './measure.js';
import type { Row } from './report.js';
import type { Plan, Run } from './rounds.js';
import { bundleClient, bundleEnv, bundleServer, servedCopy } from './servedCopy.js';
import { launcherNodeFlags } from './startup.js';

const MiB = 1024 * 1024;
const PROTOCOL_NAME: Record<ClientProtocol, string> = { v2: 'v2', legacy: '1.8b5', auto: 'auto' };

/** Our bundle on both ends, started by `node NODEFLAGS... bundle`. */
function bundledCopy(name: string, protocol: ClientProtocol, nodeFlags: readonly string[], file: string, dest: string, tmp: string, bytes: number): Promise<Row> {
  return servedCopy(
    name, dest, tmp, bytes,
    async (port) => bundleServer(nodeFlags, await bundleEnv(tmp, protocol, port)),
    async (port) => bundleClient(nodeFlags, await bundleEnv(tmp, protocol, port), file, dest),
  );
}

/** `node -e 0`: the floor under every Node process's RSS. */
async function bareNode(tmp: string): Promise<Row> {
  const run = await runTool(process.execPath, ['-e', '0'], join(tmp, 'rss-node.time'), { env: { ...process.env, NODE_OPTIONS: '' } });
  return { name: 'node -e 0 (no work; no time baseline)', wallMs: 0, bytes: 0, rssKiB: run.rssKiB };
}

async function checkDisk(dir: string, need: number): Promise<void> {
  const fs = await statfs(dir);
  const free = fs.bavail * fs.bsize;
  if (free < need) {
    throw new Error(`rss: ${dir} has ${(free / MiB).toFixed(0)} MiB free, the group needs ${(need / MiB).toFixed(0)} MiB (set BENCH_TMPDIR or BENCH_RSS_SIZES)`);
  }
}

export async function rssPlan(cfg: BenchConfig, tmp: string): Promise<Plan> {
  if (!hasGnuTime) throw new Error('rss: the peak RSS of the bundled processes needs GNU time (/usr/bin/time, Debian package time)');
  const sizes = cfg.rssSizesMiB.map((mb) => mb * MiB);
  const largest = Math.max(...sizes);
  // Every source file, plus one copy at a time, plus room.
  await checkDisk(tmp, sizes.reduce((a, b) => a + b, 0) + largest + 512 * MiB);
  const srcDir = join(tmp, 'rss-src');
  await mkdir(srcDir);
  const runs: Run[] = [];
  // Every row runs node with the launcher's flags, as the installed plugins run; the rows of
  // BENCH_RSS_NODE_FLAGS with those instead.
  const installed = launcherNodeFlags();
  const copyRun = (protocol: ClientProtocol, nodeFlags: readonly string[], file: string, sha256: string, bytes: number): Run => {
    const name = `${PROTOCOL_NAME[protocol]}, ${(bytes / MiB).toFixed(0)} MiB${nodeFlags === installed ? '' : `, node ${nodeFlags.join(' ')}`}`;
    const dest = join(tmp, `rss-dest-${runs.length}`);
    return checkedRun(name, dest, file, sha256, () => bundledCopy(name, protocol, nodeFlags, file, dest, tmp, bytes));
  };
  for (const [i, bytes] of sizes.entries()) {
    const file = join(srcDir, `rss-${bytes / MiB}.dat`);
    const sha256 = await writeDataFile(file, bytes);
    for (const protocol of ['v2', 'legacy'] as const) runs.push(copyRun(protocol, installed, file, sha256, bytes));
    // What a launcher flag would buy (BENCH_RSS_NODE_FLAGS), at the first size only.
    if (i === 0 && cfg.rssNodeFlags.length > 0) {
      for (const protocol of ['v2', 'legacy'] as const) runs.push(copyRun(protocol, cfg.rssNodeFlags, file, sha256, bytes));
    }
  }
  return {
    group: 'rss',
    what: `peak RSS of the bundle as socket-server (connection on fd 0/1, as under xinetd) and as socket-copy (node ${installed.join(' ')}, the launcher's flags), copy from of one file of ${cfg.rssSizesMiB.join(' and ')} MiB over loopback (flat = the same MiB at every size)`,
    runs: [{ name: 'node -e 0 (no work; no time baseline)', run: () => bareNode(tmp) }, ...runs],
    cleanup: () => rm(srcDir, { recursive: true, force: true }),
  };
}
