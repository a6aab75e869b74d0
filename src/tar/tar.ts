import type { Readable } from 'node:stream';
import { execa, type ResultPromise } from 'execa';
import { holdOutput } from '../process/holdOutput.js';
import type { Runner } from '../process/runner.js';

// GNU tar, always through an argv array. `-h` on create: ZRM's ZRM_LINKS directory holds
// symbolic links into the data directory and the copy must carry the files they point to.
// `-i` on extract: innobackupex tar streams contain blocks of zeros that plain tar stops at.

/** How a finished `tar -c` ended (execa's result, reject: false). */
interface TarCreateResult {
  exitCode?: number | undefined;
  signal?: string | undefined;
  stderr?: unknown;
}

/** A running `tar -c`: read `stdout` (held from the start, see holdOutput), await `done`. */
export interface TarProcess {
  stdout: Readable;
  done: Promise<TarCreateResult>;
  kill(): void;
}
export type TarExtractProcess = ResultPromise<{ stdin: 'pipe'; stdout: 'ignore'; stderr: 'pipe'; reject: false }>;

export function startTarCreate(dir: string, names: readonly string[], opts: { cwd?: string; run?: Runner } = {}): TarProcess {
  const done = (opts.run ?? execa)('tar', ['--same-owner', '-c', '-p', '-h', '-C', dir, '--', ...names], {
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: { stdout: false, stderr: true },
    cwd: opts.cwd ?? '/',
  });
  return { stdout: holdOutput(done.stdout), done, kill: () => done.kill() };
}

/**
 * `tar -c` of exactly `files` (relative to `dir`, already checked by the caller): no recursion,
 * names fed NUL-separated on stdin and taken verbatim (a name may start with '-' or hold a
 * newline). `-h` still follows links, so a link's name carries its target's data.
 */
export function startTarCreateFromList(dir: string, files: readonly string[], run: Runner = execa): TarProcess {
  const done = run('tar', ['--same-owner', '-c', '-p', '-h', '--no-recursion', '-C', dir, '--null', '--verbatim-files-from', '-T', '-'], {
    input: Buffer.from(files.map((f) => `${f}\0`).join(''), 'utf8'),
    stdout: 'pipe',
    stderr: 'pipe',
    reject: false,
    buffer: { stdout: false, stderr: true },
    cwd: '/',
  });
  return { stdout: holdOutput(done.stdout), done, kill: () => done.kill() };
}

export function startTarExtract(destDir: string, run: Runner = execa): TarExtractProcess {
  return run('tar', ['--same-owner', '-x', '-i', '-p', '-C', destDir], {
    stdin: 'pipe',
    stdout: 'ignore',
    stderr: 'pipe',
    reject: false,
    cwd: '/',
  });
}

/** How a `tar -c` ended, in the shape the v2 trailer and the logs want. */
export async function tarStatus(tar: TarProcess, okMessage = 'tar completed'): Promise<{ ok: boolean; exitCode: number | null; message: string }> {
  const r = await tar.done;
  const ok = r.exitCode === 0;
  return { ok, exitCode: r.exitCode ?? null, message: ok ? okMessage : describeTarExit('tar', r) };
}

/** One line saying how a tar run ended, for logs and error messages. */
export function describeTarExit(what: string, r: { exitCode?: number | undefined; signal?: string | undefined; stderr?: unknown }): string {
  const err = typeof r.stderr === 'string' ? r.stderr.trim().split('\n').slice(-3).join(' / ') : '';
  const how = r.signal ? `was killed by ${r.signal}` : `exited ${r.exitCode ?? '?'}`;
  return `${what} ${how}${err ? `: ${err}` : ''}`;
}
