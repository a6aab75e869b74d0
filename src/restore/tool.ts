import { execa } from 'execa';
import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import { judgeResult } from '../backupTool/result.js';

// The backup tool on this host, chosen to match the one that made the backup: a backup must
// be prepared by the same tool family, and mariabackup by the same major server version.

export interface LocalTool {
  name: string;
  path: string;
  /** "10.11.19" as the tool reports it; undefined when it did not say. */
  version?: string | undefined;
}

const KNOWN = ['mariabackup', 'xtrabackup', 'innobackupex'] as const;

function toolFamily(name: string): (typeof KNOWN)[number] {
  const base = name.replace(/^.*\//, '').replace(/-[\d.]+$/, '');
  if (base === 'mariadb-backup') return 'mariabackup';
  if ((KNOWN as readonly string[]).includes(base)) return base as (typeof KNOWN)[number];
  throw new ExitError(`the backup was made by '${name}', which this tool cannot prepare`, ExitCode.tool);
}

function majorMinor(version: string | undefined): string | undefined {
  return /(\d+\.\d+)\.\d+/.exec(version ?? '')?.[1];
}

/** Finds the tool, asks its version and refuses one that cannot prepare `recordedVersion`. */
export async function localToolFor(recordedName: string, recordedVersion: string | undefined, config: AppConfig): Promise<LocalTool> {
  const name = toolFamily(recordedName);
  const path = config.backup.tool === name && config.backup.toolPath ? config.backup.toolPath : name;
  const r = await execa(path, ['--version'], { reject: false, stdin: 'ignore', timeout: 60_000 });
  if (r.failed && r.exitCode === undefined) {
    throw new ExitError(`${name} is not installed here (${path}): it is needed to prepare this backup (made by ${recordedName} ${recordedVersion ?? ''})`.trimEnd(), ExitCode.tool);
  }
  const version = /(\d+\.\d+\.\d+)/.exec(`${r.stdout}\n${r.stderr}`)?.[1];
  const want = majorMinor(recordedVersion);
  const have = majorMinor(version);
  if (want && have && want !== have) {
    throw new ExitError(
      `the backup was made by ${name} ${recordedVersion ?? ''}, the local ${name} is ${version ?? '?'}: ` +
        `prepare it with ${name} ${want}.x (the major versions must match)`,
      ExitCode.tool,
    );
  }
  return { name, path, version };
}

async function runTool(tool: LocalTool, args: string[], what: string): Promise<string[]> {
  const r = await execa(tool.path, args, { reject: false, stdin: 'ignore', all: true, cwd: '/' });
  const lines = (r.all ?? '').split('\n').filter((l) => l.trim() !== '');
  const spawnError = r.exitCode === undefined ? { code: (r as { code?: string }).code, message: r.shortMessage ?? 'could not start' } : undefined;
  const verdict = judgeResult(tool.name, tool.path, { exitCode: r.exitCode ?? null, signal: r.signal ?? null, spawnError }, lines);
  if (!verdict.ok) throw new ExitError(`${what} failed: ${verdict.message}`, ExitCode.tool);
  return lines;
}

/** --prepare (--apply-log for innobackupex) in place. */
export async function prepareWith(tool: LocalTool, dir: string): Promise<void> {
  const args = tool.name === 'innobackupex' ? ['--apply-log', dir] : ['--prepare', `--target-dir=${dir}`];
  await runTool(tool, args, `${tool.name} ${args[0] ?? ''}`);
}

/** --copy-back or --move-back of a prepared backup into `datadir`. */
export async function copyBackWith(tool: LocalTool, dir: string, datadir: string, move: boolean, defaultsFile?: string): Promise<void> {
  const op = move ? '--move-back' : '--copy-back';
  const args = defaultsFile ? [`--defaults-file=${defaultsFile}`] : [];
  if (tool.name === 'innobackupex') args.push(op, `--datadir=${datadir}`, dir);
  else args.push(op, `--target-dir=${dir}`, `--datadir=${datadir}`);
  await runTool(tool, args, `${tool.name} ${op}`);
}
