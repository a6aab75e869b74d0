import { writeSync } from 'node:fs';
import type { Writable } from 'node:stream';
import { writeAll } from '../protocol/io.js';

/** What a command may touch of its process: tests pass their own. */
export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
  /**
   * The file descriptor behind `stdout` when it is this process's own: writeOut() writes a
   * short answer to it at once instead of making process.stdout, whose first use (a pipe, as
   * ZRM reads a plugin) loads net and the stream modules: ~6 ms of a ~40 ms snapshot call.
   */
  stdoutFd?: number;
}

let stdoutQuiet = false;

/** process.stdout, where an EPIPE (the reader went away) fails only the write that met it. */
export function quietStdout(): Writable {
  if (!stdoutQuiet) {
    process.stdout.on('error', () => undefined);
    stdoutQuiet = true;
  }
  return process.stdout;
}

/** This process's own: Node makes each stream only when a command first uses it. */
export function processIo(): CommandIo {
  return {
    env: process.env,
    get stdout() {
      return quietStdout();
    },
    get stderr() {
      return process.stderr;
    },
    stdoutFd: 1,
  };
}

/**
 * Writes `text` to stdout: to its file descriptor at once when there is one (a plugin's answer
 * is a few lines: a pipe or file takes them whole), through the stream otherwise, or for what a
 * non-blocking pipe would not take (EAGAIN).
 */
export async function writeOut(io: Pick<CommandIo, 'stdout' | 'stdoutFd'>, text: string): Promise<void> {
  let rest = Buffer.from(text);
  if (io.stdoutFd !== undefined) {
    try {
      while (rest.length > 0) rest = rest.subarray(writeSync(io.stdoutFd, rest));
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
  await writeAll(io.stdout, rest);
}
