import type { Writable } from 'node:stream';

/** What a command may touch of its process: tests pass their own. */
export interface CommandIo {
  env: NodeJS.ProcessEnv;
  stdout: Writable;
  stderr: Writable;
}

export function processIo(): CommandIo {
  return { env: process.env, stdout: process.stdout, stderr: process.stderr };
}
