import winston from 'winston';
import type { Logger } from './api.js';
import { canAppend, logLine } from './logLine.js';
import { redact } from './redact.js';

// winston: the logger of the long-running socket server and of the CLI. Plugin calls, which are
// short and many, log through plainLogger.ts (the same lines) instead.

export type { Logger } from './api.js';
export { addSecret } from './api.js';

/** winston's logger, a stream: what the tool log's back-pressure needs. */
export type WinstonLogger = winston.Logger;

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

export function createLogger(opts: LoggerOptions): WinstonLogger {
  const secrets = opts.secrets ?? [];
  const redactFormat = winston.format((info) => {
    info.message = redact(String(info.message), secrets);
    return info;
  });
  const line = winston.format.printf((info) =>
    logLine(String(info.timestamp), info.label ? String(info.label) : '', info.level, String(info.message)),
  );
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
  (logger as winston.Logger & { addSecret?: (s: string) => void }).addSecret = (s: string) => secrets.push(s);
  return logger;
}

/**
 * Waits (at most ~10 s) until every line logged so far has left the logger for its transports.
 * winston's end() ends the transports as soon as the logger's own writable side is done, while
 * lines held back by a slow file can still sit in its readable buffer: they would then be written
 * after the transport's end (ERR_STREAM_WRITE_AFTER_END, and lost).
 */
async function linesHandedOn(logger: winston.Logger): Promise<void> {
  for (let i = 0; i < 2000 && (logger.readableLength > 0 || logger.writableLength > 0); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Resolves once everything logged so far is on disk: call before the process ends. */
export async function flushLogger(given: Logger): Promise<void> {
  const own = (given as { flush?: () => Promise<void> }).flush;
  if (own) return own.call(given);
  const logger = given as winston.Logger;
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
