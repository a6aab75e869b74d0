import { closeSync, writeSync } from 'node:fs';
import type { Logger } from './api.js';
import { logLine, openAppend } from './logLine.js';
import { redact } from './redact.js';

// The log of a plugin call (inno-snapshot.pl, socket-copy.palomino.pl): the same lines as
// winston writes (logLine.ts), without loading winston, which costs a plugin call about as much
// as starting Node itself; ZRM starts a plugin about 16 times a backup. Each line is one
// write(2) in append mode, so lines of concurrent processes never interleave, and a line is in
// the file as soon as the call returns: nothing to lose if the process is killed.

/** winston's npm levels: a line is written when its level is at or above the configured one. */
const LEVELS: Readonly<Record<string, number>> = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 };

export interface PlainLoggerOptions {
  /** Log file; undefined or unwritable means a logger that writes nothing. */
  file?: string | undefined;
  level?: string;
  /** Put on every line with the process id: which plugin wrote it. */
  label?: string;
  /** Strings to mask wherever they appear (the password of the run). */
  secrets?: string[];
}

export interface PlainLogger extends Logger {
  addSecret(secret: string): void;
  /** Closes the file; lines logged afterwards are dropped. */
  flush(): Promise<void>;
}

export function createPlainLogger(opts: PlainLoggerOptions): PlainLogger {
  const secrets = [...(opts.secrets ?? [])];
  const label = opts.label ?? '';
  const threshold = LEVELS[opts.level ?? 'info'] ?? LEVELS.info;
  // Opened once: the check that waits out a rotation hands over its descriptor.
  let fd = opts.file ? openAppend(opts.file) : undefined;
  const write = (level: string, message: string): void => {
    if (fd === undefined || (LEVELS[level] ?? 0) > (threshold ?? 2)) return;
    const line = `${logLine(new Date().toISOString(), label, level, redact(String(message), secrets))}\n`;
    try {
      writeSync(fd, line);
    } catch {
      // A full or vanished disk must not fail the backup step over a log line.
    }
  };
  return {
    error: (m) => write('error', m),
    warn: (m) => write('warn', m),
    info: (m) => write('info', m),
    debug: (m) => write('debug', m),
    addSecret: (s) => {
      secrets.push(s);
    },
    flush: async () => {
      if (fd === undefined) return;
      const open = fd;
      fd = undefined;
      try {
        closeSync(open);
      } catch {
        // Already gone: nothing left to flush.
      }
    },
  };
}
