import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { holdOutput } from '../process/holdOutput.js';
import type { Runner } from '../process/runner.js';
import { execa } from 'execa';
import type { AppConfig } from '../config/appConfig.js';
import { errorMessage } from '../errors.js';
import { addSecret, type WinstonLogger as Logger } from '../logging/logger.js';
import { redact } from '../logging/redact.js';
import { buildToolArgv, formatOf, type ToolArgv } from './argv.js';
import { writeRunOptionFile } from './credentialsFile.js';
import { judgeResult, type ToolExit } from './result.js';
import { makeScratchDir } from './scratch.js';
import { StderrLog } from './stderrLog.js';
import type { Credentials, RunningBackup, ToolResult } from './types.js';

/**
 * Between kill()'s SIGTERM and the SIGKILL that follows if the tool is still there.
 * mariabackup blocks SIGTERM (seen in /proc/<pid>/status, SigBlk), so for it the SIGKILL is
 * what ends it; that is safe: the server drops its locks with the connection and we remove
 * the scratch files ourselves.
 */
export const KILL_GRACE_MS = 2000;
/** How long stderr may stay open after the tool exited (a child of it holding it). */
const STDERR_LINGER_MS = 10_000;

/**
 * Starts the configured backup tool with the credentials in a private option file.
 * Never throws for a tool that cannot run: `done` then resolves with ok:false.
 */
export async function startBackup(
  config: AppConfig,
  creds: Credentials,
  toolLog: Logger,
  opts: { tmpRoot?: string; run?: Runner } = {},
): Promise<RunningBackup> {
  addSecret(toolLog, creds.password);
  const tool = config.backup.tool;
  let workDir: string | undefined;
  let argv: ToolArgv;
  try {
    // mkdtemp makes the directory 0700: the option file and the tool's scratch space are ours alone.
    const root = opts.tmpRoot ?? config.backup.tmpDir;
    workDir = await makeScratchDir(root, 'backup');
    const optionFile = await writeRunOptionFile(workDir, creds, config.backup);
    const targetDir = join(workDir, 'target');
    await mkdir(targetDir, { mode: 0o700 });
    const extraLsndir = config.backup.extraLsndir || undefined;
    if (extraLsndir) await mkdir(extraLsndir, { recursive: true, mode: 0o700 });
    argv = buildToolArgv(config.backup, { optionFile, targetDir, extraLsndir });
  } catch (err) {
    if (workDir) await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    const message = redact(`${tool} not started: ${errorMessage(err)}`, [creds.password]);
    toolLog.error(message);
    const result: ToolResult = { ok: false, exitCode: null, signal: null, completedOk: false, message };
    return { format: formatOf(tool), stdout: Readable.from([]), done: Promise.resolve(result), kill: () => undefined, pid: undefined };
  }
  return spawnTool(tool, argv, workDir, toolLog, creds.password, opts.run ?? execa);
}

// A detached tool outlives us unless told: one 'exit' listener (not one per run, which would
// end in a MaxListeners warning on stderr, the client's socket in server mode) kills them all.
const onProcessExit = new Set<() => void>();
let exitHookInstalled = false;
function killOnProcessExit(kill: () => void): () => void {
  if (!exitHookInstalled) {
    process.on('exit', () => {
      for (const k of onProcessExit) k();
    });
    exitHookInstalled = true;
  }
  onProcessExit.add(kill);
  return () => onProcessExit.delete(kill);
}

/**
 * When the log file falls behind, the tool waits (its stderr pipe fills) instead of the log
 * piling up in memory. Never for long: a logger that will not drain does not stall the backup.
 */
function logBackpressure(toolLog: Logger, stderr: Readable): () => void {
  let held = false;
  return () => {
    if (held || toolLog.writableLength < toolLog.writableHighWaterMark) return;
    held = true;
    stderr.pause();
    const release = (): void => {
      if (!held) return;
      held = false;
      clearTimeout(timer);
      toolLog.off('drain', release);
      stderr.resume();
    };
    const timer = setTimeout(release, 1000);
    toolLog.once('drain', release);
  };
}

/** What one run shares between its steps: whether the tool has finished, the pending SIGKILL. */
interface RunState {
  readonly pid: number | undefined;
  finished: boolean;
  killTimer?: NodeJS.Timeout;
}

// detached: the tool leads its own process group, so kill() also reaches its children
// (innobackupex runs xtrabackup beneath it).
function launchTool(argv: ToolArgv, workDir: string, run: Runner) {
  return run(argv.command, argv.args, {
    cwd: workDir,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: true,
    cleanup: false,
  });
}
type ToolChild = ReturnType<typeof launchTool>;

function signalGroup(run: RunState, signal: NodeJS.Signals): void {
  if (run.pid === undefined || run.finished) return;
  try {
    process.kill(-run.pid, signal);
  } catch {
    // ESRCH: the whole group is gone already.
  }
}

/** Resolves once the tool's stderr has ended, every line of it passed to `log`. */
function drainStderr(child: ToolChild, log: StderrLog, toolLog: Logger): Promise<void> {
  const holdForLog = logBackpressure(toolLog, child.stderr);
  return new Promise<void>((resolve) => {
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text: string) => {
      log.push(text);
      holdForLog();
    });
    child.stderr.once('end', resolve);
    child.stderr.once('close', resolve);
    child.stderr.once('error', () => resolve());
  });
}

/** How the tool ended, or why it never started. */
function toolExit(child: ToolChild, pid: number | undefined): Promise<ToolExit> {
  return new Promise<ToolExit>((resolve) => {
    child.once('exit', (code, signal) => resolve({ exitCode: code, signal }));
    void child.then((r) => {
      if (pid !== undefined) return resolve({ exitCode: r.exitCode ?? null, signal: r.signal ?? null });
      const code = (r.cause as NodeJS.ErrnoException | undefined)?.code ?? (r as { code?: string }).code;
      resolve({ exitCode: null, signal: null, spawnError: { code, message: r.originalMessage ?? r.shortMessage ?? 'spawn failed' } });
    });
  });
}

interface RunParts {
  tool: string;
  argv: ToolArgv;
  workDir: string;
  toolLog: Logger;
  password: string;
  child: ToolChild;
  log: StderrLog;
  stderrDrained: Promise<void>;
  exited: Promise<ToolExit>;
  forgetOnExit: () => void;
}

/** Waits for the tool and its stderr, removes its scratch space, judges and logs the result. */
async function finishRun(run: RunState, p: RunParts): Promise<ToolResult> {
  let exit: ToolExit = { exitCode: null, signal: null };
  try {
    exit = await p.exited;
    const linger = setTimeout(() => {
      signalGroup(run, 'SIGKILL');
      p.child.stderr.destroy();
    }, STDERR_LINGER_MS);
    await p.stderrDrained;
    clearTimeout(linger);
    p.log.end();
  } catch (err) {
    p.toolLog.error(`waiting for ${p.tool}: ${errorMessage(err)}`);
  } finally {
    run.finished = true;
    if (run.killTimer) clearTimeout(run.killTimer);
    p.forgetOnExit();
  }
  await rm(p.workDir, { recursive: true, force: true }).catch((err: unknown) =>
    p.toolLog.warn(`could not remove ${p.workDir}: ${errorMessage(err)}`),
  );
  const result = judgeResult(p.tool, p.argv.command, exit, p.log.lastLines());
  result.message = redact(result.message, [p.password]);
  if (result.ok) p.toolLog.info(result.message);
  else p.toolLog.error(result.message);
  return result;
}

function spawnTool(tool: string, argv: ToolArgv, workDir: string, toolLog: Logger, password: string, run: Runner): RunningBackup {
  toolLog.info(`starting ${argv.command} ${argv.args.join(' ')}`);
  const child = launchTool(argv, workDir, run);
  const state: RunState = { pid: child.pid, finished: false };
  const forgetOnExit = killOnProcessExit(() => signalGroup(state, 'SIGKILL'));
  const log = new StderrLog((line) => toolLog.info(line));
  const stderrDrained = drainStderr(child, log, toolLog);
  const exited = toolExit(child, state.pid);
  const done = finishRun(state, { tool, argv, workDir, toolLog, password, child, log, stderrDrained, exited, forgetOnExit });

  const kill = (): void => {
    if (state.finished || state.pid === undefined) return;
    toolLog.warn(`stopping ${tool} (pid ${state.pid})`);
    signalGroup(state, 'SIGTERM');
    state.killTimer ??= setTimeout(() => signalGroup(state, 'SIGKILL'), KILL_GRACE_MS).unref();
  };

  return { format: argv.format, stdout: holdOutput(child.stdout), done, kill, pid: state.pid };
}
