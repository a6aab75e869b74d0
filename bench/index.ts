// `npm run bench`: measures our wire framing, xbstream extraction and end-to-end copy against
// baselines run on the same machine in the same run, and prints ratios (see bench/README.md).
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { benchConfig } from './config.js';
import { compressionPlan, compressionPlans } from './compression.js';
import { e2ePlan } from './e2e.js';
import { hasGnuTime, runWorker } from './measure.js';
import { hotpathPlan } from './hotpath.js';
import { formatTable, writeResults, type Group } from './report.js';
import { runRounds, type Plan } from './rounds.js';
import { perlPairPlan } from './perlPair.js';
import { rssPlan } from './rss.js';
import { startupPlan } from './startup.js';
import { wirePlan } from './wire.js';
import { xbstreamPlan } from './xbstream.js';

const RESULTS = join(dirname(fileURLToPath(import.meta.url)), 'results.json');

function say(line: string): void {
  process.stderr.write(`${line}\n`);
}

async function main(): Promise<void> {
  const cfg = benchConfig(process.env);
  const started = performance.now();
  const tmp = await mkdtemp(join(cfg.tmpBase ?? tmpdir(), 'zrm-bench-'));
  const groups: Group[] = [];
  let idleRssKiB: number;
  try {
    idleRssKiB = (await runWorker('idle', {})).rssKiB;
    const plans: Array<[string, () => Promise<Plan>]> = [
      ['wire', async () => wirePlan(cfg)],
      ['xbstream', () => xbstreamPlan(cfg, tmp)],
      ['e2e', () => e2ePlan(cfg, tmp)],
      ['pair', () => perlPairPlan(cfg, tmp)],
      ['hotpath', () => hotpathPlan(cfg, tmp)],
      ['startup', () => startupPlan(cfg, tmp)],
      ['rss', () => rssPlan(cfg, tmp)],
      ...compressionPlans.map((data): [string, () => Promise<Plan>] => ['compression', () => compressionPlan(cfg, tmp, data)]),
    ];
    for (const [name, prepare] of plans) {
      if (!cfg.groups.has(name)) continue;
      const t = performance.now();
      say(`bench: ${name}, ${cfg.repeat} round(s)...`);
      const plan = await prepare();
      try {
        groups.push(await runRounds(plan, cfg.repeat));
      } finally {
        await plan.cleanup();
      }
      say(`bench: ${name} done in ${((performance.now() - t) / 1000).toFixed(1)} s`);
    }
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
  const meta = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    bytesPerCase: cfg.bytes,
    writeBytes: cfg.writeBytes,
    repeat: cfg.repeat,
    idleNodeRssKiB: idleRssKiB,
    gnuTime: hasGnuTime,
    totalSeconds: (performance.now() - started) / 1000,
  };
  process.stdout.write(
    `zrm-innobackupex bench: ${(cfg.bytes / 1024 / 1024).toFixed(0)} MiB per case, median of ${cfg.repeat} run(s), node ${process.version}, ${cpus().length} CPUs\n` +
      'time x = wall time / baseline wall time (higher is slower); RSS x = peak RSS / baseline peak RSS\n' +
      `an idle Node worker (modules loaded, no work) peaks at ${(idleRssKiB / 1024).toFixed(1)} MiB` +
      `${hasGnuTime ? '' : '; /usr/bin/time is missing, so the RSS of the real tools is n/a'}\n\n` +
      formatTable(groups),
  );
  await writeResults(RESULTS, meta, groups);
  process.stdout.write(`results: ${RESULTS} (total ${meta.totalSeconds.toFixed(1)} s)\n`);
}

main().catch((err: unknown) => {
  process.stderr.write(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
