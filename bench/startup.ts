// Start-up of a plugin call: ZRM starts a plugin about 16 times a backup. `node -e 0` (the
// floor: Node itself) against the snapshot plugin answering get-vm-device-details, exactly as
// ZRM calls it: through the packaged launcher (packaging/launchers/zrm-launcher, its code cache
// made by an earlier call, as on a host after the first backup), and the bundle run directly
// (no code cache: how the launcher's first call runs). Each run is a batch of sequential calls;
// CPU is that of the calls themselves (user + system, from this process's reaped children).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { BenchConfig } from './config.js';
import type { Row } from './report.js';
import type { Plan, Run } from './rounds.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const BUNDLE = join(ROOT, 'dist', 'app', 'zrm-innobackupex.mjs');
const LAUNCHER = join(ROOT, 'packaging', 'launchers', 'zrm-launcher');
const CALLS = 10;
const TICKS_PER_S = 100;

/** CPU seconds of this process's children that have been waited for (/proc: cutime + cstime). */
function childrenCpuS(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 16 and 17 of proc(5), counted from the state field (3).
  return (Number(fields[13]) + Number(fields[14])) / TICKS_PER_S;
}

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
      const cpuBefore = childrenCpuS();
      const started = performance.now();
      for (let i = 0; i < CALLS; i++) await runOnce(args, env);
      const wallMs = (performance.now() - started) / CALLS;
      return { name, wallMs, bytes: 0, rssKiB: null, cpuParts: { call: (childrenCpuS() - cpuBefore) / CALLS } };
    },
  };
}

/** Parent side: the snapshot plugin under its ZRM name, with the host's own settings and log. */
export async function startupPlan(_cfg: BenchConfig, tmp: string): Promise<Plan> {
  const dir = join(tmp, 'startup');
  await mkdir(join(dir, 'data'), { recursive: true });
  await mkdir(join(dir, 'plugins'));
  await mkdir(join(dir, 'cache'), { mode: 0o755 });
  const plugin = join(dir, 'inno-snapshot.pl');
  await symlink(BUNDLE, plugin);
  // The launcher as installed, but with its bundle and root's cache directory in here.
  const launcher = join(dir, 'plugins', 'inno-snapshot.pl');
  const text = (await readFile(LAUNCHER, 'utf8'))
    .replace('/usr/lib/mysql-zrm-innobackupex/zrm-innobackupex.mjs', BUNDLE)
    .replace(`root: '/var/cache'`, `root: ${JSON.stringify(join(dir, 'cache'))}`)
    .replace(`user: '/var/lib/mysql-zrm-innobackupex'`, `user: ${JSON.stringify(join(dir, 'cache'))}`);
  await writeFile(launcher, text, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.ZRM_INNOBACKUPEX_CONF;
  const snapshotArgs = ['--action', 'get-vm-device-details', '--directory', join(dir, 'data'), '--sname', 'bench'];
  // The call that makes the code cache, as the first plugin call on a host does.
  await runOnce([launcher, ...snapshotArgs], env);
  return {
    group: 'startup',
    what: `one plugin call, mean of ${CALLS} sequential calls (the bundle in dist/app; CPU s per call)`,
    runs: [
      batch('node -e 0', ['-e', '0'], env),
      batch('inno-snapshot.pl --action get-vm-device-details', [launcher, ...snapshotArgs], env),
      batch('  the same, bundle run directly (no code cache)', [plugin, ...snapshotArgs], env),
    ],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
