// Start-up of a plugin call: ZRM starts a plugin about 16 times a backup. `node -e 0` (the
// floor: Node itself) against the snapshot plugin answering get-vm-device-details, exactly as
// ZRM calls it (its answer read from a pipe): through the packaged launcher
// (packaging/launchers/zrm-launcher, which runs the plugins' program; its code cache made by an
// earlier call, as on a host after the first backup), the whole program's bundle through the
// same launcher, and that bundle run directly (no code cache: how a first call compiles). Each run is
// a batch of sequential calls; CPU is that of the calls themselves (user + system, from this
// process's reaped children). NODE_EXTRA_CA_CERTS is cleared: with it Node parses the CA file
// at start, which costs more than our whole call, and ZRM's cron has no reason to set it.
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
const APP = join(ROOT, 'dist', 'app');
const BUNDLE = join(APP, 'zrm-innobackupex.mjs');
const LAUNCHER = join(ROOT, 'packaging', 'launchers', 'zrm-launcher');
const CALLS = 10;

/** The node flags on the launcher's `#!` line: what every installed plugin and command runs with. */
export function launcherNodeFlags(): string[] {
  const first = readFileSync(LAUNCHER, 'utf8').split('\n', 1)[0] ?? '';
  if (!first.startsWith('#!')) throw new Error(`bench: ${LAUNCHER} has no #! line`);
  return first.slice(2).trim().split(/\s+/).slice(1);
}
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
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'ignore'], env });
    child.stdout.resume();
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
  // The launcher as installed, but with its bundles and root's cache directory in here; once
  // more told that no name is a plugin call, so it runs the whole program.
  const launcher = join(dir, 'plugins', 'inno-snapshot.pl');
  const text = (await readFile(LAUNCHER, 'utf8'))
    .replace(`const LIB = '/usr/lib/mysql-zrm-innobackupex';`, `const LIB = ${JSON.stringify(APP)};`)
    .replace(`root: '/var/cache'`, `root: ${JSON.stringify(join(dir, 'cache'))}`)
    .replace(`user: '/var/lib/mysql-zrm-innobackupex'`, `user: ${JSON.stringify(join(dir, 'cache'))}`);
  if (!text.includes(JSON.stringify(APP))) throw new Error('bench startup: the launcher no longer names its bundles in LIB');
  await writeFile(launcher, text, { mode: 0o755 });
  await mkdir(join(dir, 'whole'));
  const whole = join(dir, 'whole', 'inno-snapshot.pl');
  const wholeText = text.replace(/const PLUGIN_CALLS = \[[^\]]*\];/, 'const PLUGIN_CALLS = [];');
  if (wholeText === text) throw new Error('bench startup: the launcher no longer lists PLUGIN_CALLS');
  await writeFile(whole, wholeText, { mode: 0o755 });
  const env: NodeJS.ProcessEnv = { ...process.env, NODE_OPTIONS: '' };
  delete env.ZRM_INNOBACKUPEX_CONF;
  delete env.NODE_EXTRA_CA_CERTS;
  const snapshotArgs = ['--action', 'get-vm-device-details', '--directory', join(dir, 'data'), '--sname', 'bench'];
  // The calls that make the code caches, as the first plugin call on a host does.
  await runOnce([...launcherNodeFlags(), launcher, ...snapshotArgs], env);
  await runOnce([...launcherNodeFlags(), whole, ...snapshotArgs], env);
  // Started as the kernel starts the installed files: node with the launcher's own flags.
  const flags = launcherNodeFlags();
  return {
    group: 'startup',
    what: `one plugin call, mean of ${CALLS} sequential calls (the bundles in dist/app; CPU s per call)`,
    runs: [
      batch('node -e 0', ['-e', '0'], env),
      batch('inno-snapshot.pl --action get-vm-device-details', [...flags, launcher, ...snapshotArgs], env),
      batch('  the same, the whole program\'s bundle (code cache too)', [...flags, whole, ...snapshotArgs], env),
      batch('  the same, bundle run directly (no code cache)', [...flags, plugin, ...snapshotArgs], env),
    ],
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
}
