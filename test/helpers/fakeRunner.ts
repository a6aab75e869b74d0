// A process runner for unit tests: records each call (program, argv, options) instead of
// starting the program, and answers as a program that printed `stdout`/`stderr` and exited
// `exitCode`. Production code takes it where it takes execa (src/process/runner.ts).
import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { Runner } from '../../src/process/runner.js';

export interface RunCall {
  file: string;
  args: string[];
  options: Record<string, unknown>;
}

export interface FakeOutcome {
  exitCode?: number;
  stdout?: string;
  stderr?: string;
}

function endedStream(text: string): PassThrough {
  const s = new PassThrough();
  s.end(text);
  return s;
}

export function fakeRunner(outcome: FakeOutcome = {}): { run: Runner; calls: RunCall[] } {
  const calls: RunCall[] = [];
  const fake = (file: string, args: readonly string[] = [], options: Record<string, unknown> = {}) => {
    calls.push({ file, args: [...args], options });
    const exitCode = outcome.exitCode ?? 0;
    const stdout = outcome.stdout ?? '';
    const stderr = outcome.stderr ?? '';
    const result = { exitCode, signal: undefined, stdout, stderr, failed: exitCode !== 0, command: [file, ...args].join(' ') };
    const settled = Promise.resolve(result);
    // No pid: nothing a test does can signal a real process group.
    const child = Object.assign(new EventEmitter(), {
      pid: undefined,
      stdin: new PassThrough(),
      stdout: endedStream(stdout),
      stderr: endedStream(stderr),
      kill: () => true,
      then: settled.then.bind(settled),
      catch: settled.catch.bind(settled),
      finally: settled.finally.bind(settled),
    });
    setImmediate(() => child.emit('exit', exitCode, null));
    return child;
  };
  return { run: fake as unknown as Runner, calls };
}

/** The one call a test expects, or an error saying how many there were. */
export function onlyCall(calls: readonly RunCall[]): RunCall {
  if (calls.length !== 1 || !calls[0]) throw new Error(`expected one program started, got ${calls.length}`);
  return calls[0];
}
