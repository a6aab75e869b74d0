import type { Readable } from 'node:stream';
import type { StreamFormat } from '../protocol/streamFormat.js';

/** The database account the backup tool logs in as (armed by the snapshot plugin). */
export interface Credentials {
  user: string;
  password: string;
}

export interface ToolResult {
  /** exitCode 0 and the log ends in "completed OK!": the only state in which the stream is a backup. */
  ok: boolean;
  exitCode: number | null;
  signal: string | null;
  completedOk: boolean;
  /** One line a user can act on, e.g. "mariabackup exited 1: Access denied for user ...". */
  message: string;
}

export interface RunningBackup {
  format: StreamFormat;
  /** The backup stream. Ends empty when the tool could not be started. */
  stdout: Readable;
  /** Resolves (never rejects) once the tool has exited, its stderr is drained and logged and
   *  its temp files (option file, target dir) are removed. Does not wait for stdout to be read. */
  done: Promise<ToolResult>;
  /** SIGTERM to the tool's process group, SIGKILL a few seconds later if it is still there. */
  kill(): void;
  /** The tool's process id; undefined when it could not be started. */
  pid: number | undefined;
}
