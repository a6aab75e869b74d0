import type { ToolResult } from './types.js';

// Turns how the tool ended, plus the end of its log, into the verdict and a one-line message.

export interface ToolExit {
  exitCode: number | null;
  signal: string | null;
  /** Set when the process never ran (ENOENT, EACCES, ...). */
  spawnError?: { code?: string | undefined; message: string } | undefined;
}

const COMPLETED = 'completed OK!';
const ERRORISH = /\b(error|denied|fail(ed|ure)?|fatal|cannot|can't|unable|abort(ed|ing)?|not found|no such)\b/i;
// mariabackup prefixes its lines with "[00] 2026-11-25 13:23:52 "; the user needs the rest.
const TOOL_PREFIX = /^\[\d+\]\s+(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\s+)?/;
const MAX_MESSAGE_LINE = 300;

function tidy(line: string): string {
  const s = line.replace(TOOL_PREFIX, '').trim();
  return s.length > MAX_MESSAGE_LINE ? `${s.slice(0, MAX_MESSAGE_LINE)}...` : s;
}

export function endsCompletedOk(lines: readonly string[]): boolean {
  const last = lines.at(-1);
  return last !== undefined && last.trimEnd().endsWith(COMPLETED);
}

/** The last line that reads like an error, else the last line; undefined for an empty log. */
export function lastErrorLine(lines: readonly string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i] ?? '';
    if (ERRORISH.test(line)) return tidy(line);
  }
  const last = lines.at(-1);
  return last === undefined ? undefined : tidy(last);
}

function spawnProblem(tool: string, command: string, err: NonNullable<ToolExit['spawnError']>): string {
  if (err.code === 'ENOENT') return `${tool} could not be started: ${command} does not exist`;
  if (err.code === 'EACCES') return `${tool} could not be started: ${command} is not executable`;
  return `${tool} could not be started (${command}): ${err.message}`;
}

export function judgeResult(tool: string, command: string, exit: ToolExit, lines: readonly string[]): ToolResult {
  const completedOk = endsCompletedOk(lines);
  const base = { exitCode: exit.exitCode, signal: exit.signal, completedOk };
  if (exit.spawnError) return { ...base, ok: false, message: spawnProblem(tool, command, exit.spawnError) };
  const why = lastErrorLine(lines);
  const detail = why === undefined ? ' (nothing on stderr)' : `: ${why}`;
  if (exit.signal !== null) return { ...base, ok: false, message: `${tool} was killed by ${exit.signal}${detail}` };
  if (exit.exitCode !== 0) return { ...base, ok: false, message: `${tool} exited ${String(exit.exitCode)}${detail}` };
  if (!completedOk) {
    const last = lines.at(-1);
    const tail = last === undefined ? ' (its log is empty)' : ` (last line: ${tidy(last)})`;
    return { ...base, ok: false, message: `${tool} exited 0 but its log does not end in "${COMPLETED}"${tail}` };
  }
  return { ...base, ok: true, message: `${tool} completed OK` };
}
