import { closeSync, existsSync, openSync } from 'node:fs';
import winston from 'winston';
import { redact } from './redact.js';

export type Logger = winston.Logger;

export interface LoggerOptions {
  /** Log file; undefined or unwritable means no file transport. */
  file?: string | undefined;
  level?: string;
  /** Also write to stderr. Never in server mode: there stderr is the client's socket. */
  console?: boolean;
  /** Strings to mask wherever they appear (the password of the run). */
  secrets?: string[];
  /** Label put on every line: which plugin wrote it. */
  label?: string;
}

function tryAppend(file: string): boolean {
  try {
    closeSync(openSync(file, 'a', 0o640));
    return true;
  } catch {
    return false;
  }
}

/**
 * logrotate renames the log and creates the new one a moment later (`create` with owner and
 * mode): a process starting in between must not lose its lines, nor (as root) create the file
 * with the wrong owner. So a log missing right after a rotation is waited for briefly.
 */
function canAppend(file: string): boolean {
  // Only a log that was just rotated away (its `.1` is there) is worth waiting for.
  if (existsSync(file) || !existsSync(`${file}.1`)) return tryAppend(file);
  const until = Date.now() + 1000;
  while (Date.now() < until) {
    if (existsSync(file)) return tryAppend(file);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return tryAppend(file);
}

export function createLogger(opts: LoggerOptions): Logger {
  const secrets = opts.secrets ?? [];
  const redactFormat = winston.format((info) => {
    info.message = redact(String(info.message), secrets);
    return info;
  });
  const line = winston.format.printf((info) => {
    const label = info.label ? ` ${String(info.label)}[${process.pid}]` : '';
    return `${String(info.timestamp)}${label} ${info.level}: ${String(info.message)}`;
  });
  const transports: winston.transport[] = [];
  if (opts.file && canAppend(opts.file)) {
    transports.push(new winston.transports.File({ filename: opts.file }));
  }
  if (opts.console) {
    transports.push(new winston.transports.Console({ stderrLevels: ['error', 'warn', 'info', 'debug'] }));
  }
  const logger = winston.createLogger({
    level: opts.level ?? 'info',
    format: winston.format.combine(
      winston.format.label({ label: opts.label ?? '' }),
      winston.format.timestamp(),
      redactFormat(),
      line,
    ),
    transports,
    // A logger with no transport must stay quiet rather than warn on stderr.
    silent: transports.length === 0,
  });
  // Secrets learnt later (after the state file is read) are masked too.
  (logger as Logger & { addSecret?: (s: string) => void }).addSecret = (s: string) => secrets.push(s);
  return logger;
}

export function addSecret(logger: Logger, secret: string): void {
  (logger as Logger & { addSecret?: (s: string) => void }).addSecret?.(secret);
}

/**
 * Waits (at most ~10 s) until every line logged so far has left the logger for its transports.
 * winston's end() ends the transports as soon as the logger's own writable side is done, while
 * lines held back by a slow file can still sit in its readable buffer: they would then be written
 * after the transport's end (ERR_STREAM_WRITE_AFTER_END, and lost).
 */
async function linesHandedOn(logger: Logger): Promise<void> {
  for (let i = 0; i < 2000 && (logger.readableLength > 0 || logger.writableLength > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves once everything logged so far is on disk: call before the process ends. */
export async function flushLogger(logger: Logger): Promise<void> {
  if (logger.transports.length === 0 || logger.writableEnded) return;
  await linesHandedOn(logger);
  return new Promise((resolve) => {
    if (logger.writableEnded) return resolve();
    logger.on('finish', () => resolve());
    logger.end();
    // A line logged after this point is dropped rather than thrown as write-after-end. (Not
    // `silent`: winston checks that for lines still queued too, and would drop them.)
    logger.write = () => true;
    setTimeout(resolve, 2000).unref();
  });
}
