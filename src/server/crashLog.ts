import { appendFileSync } from 'node:fs';
import { redact } from '../logging/redact.js';

// In server mode stderr is the client's socket, so an uncaught exception has nowhere to go but
// the server's own log. Written synchronously: the process is about to end.

let logFile: string | undefined;

/** Called once the config (and so the log's path) is known. */
export function rememberCrashLog(file: string): void {
  logFile = file;
}

/** Appends the error, with its stack, to the server log; silent if there is none yet. */
export function logCrash(err: unknown, what = 'uncaught exception'): void {
  if (!logFile) return;
  const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
  const line = `${new Date().toISOString()} socket-server[${process.pid}] error: ${what}: ${redact(text)}\n`;
  try {
    appendFileSync(logFile, line);
  } catch {
    // Nowhere left to report it.
  }
}
