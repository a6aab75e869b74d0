// Start-up of a plugin call: ZRM starts a plugin about 16 times a backup. `node -e 0` (the
// floor: Node itself) against the bundle started as inno-snapshot.pl answering
// get-vm-device-details, exactly as ZRM calls it. Each run is a batch of sequential calls.
import { spawn } from 'node:child_process';
import { mkdir, rm, symlink } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './config.js';
import type { Row } from './report.js';
import type { Plan, Run } from './rounds.js';

const BUNDLE = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'dist', 'app', 'zrm-innobackupex.mjs');
const CALLS = 10;

function runOnce(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((res, rej) => {
    const child = spawn(process.execPath, args, { stdio: 'ignore', env });
    child.once('error', rej);
    child.once('close', (code) => (code === 0 ? res(0) : rej(new Error(`node ${args.join(' ')} exited ${code}`))));
  });
}

function batch(name: string, args: string[], env: NodeJS.ProcessEnv): Run {
  return {
    name,
    run: async (): Promise<Row> => {
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await runOnce(args, env);
      return { name, wallMs: (performance.now() - started) / CALLS, bytes: 0, rssKiB: null };
    },
  };
}

/** Parent side: the snapshot plugin under its ZRM name, with the host's own settings and log. */
export async function startupPlan(_cfg: BenchConfig, tmp: string): Promise<Plan> {
  const dir = join(tmp, 'startup');
  await mkdir(join(dir, 'data'), { recursive: true });
  const plugin = join(dir, 'inno-snapshot.pl');
  await symlink(BUNDLE, plugin);
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.ZRM_INNOBACKUPEX_CONF;
  return {
    group: 'startup',
    what: `one plugin call, mean of ${CALLS} sequential calls (the bundle in dist/app)`,
    runs: [
      batch('node -e 0', ['-e', '0'], env),
      batch('inno-snapshot.pl --action get-vm-device-details', [plugin, '--action', 'get-vm-device-details', '--directory', join(dir, 'data'), '--sname', 'bench'], env),
    ],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
