import { closeSync, existsSync, openSync } from 'node:fs';

// What both loggers share: the line format and how the log file is checked before it is used.

// Control characters other than tab and newline (which no client line can hold), C1 controls
// (U+009B is a terminal's CSI), line and paragraph separators and the bidirectional overrides: in
// a client's path they would let it forge, hide or reorder a line on a terminal.
const CONTROL = /[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;

function escapeControl(c: string): string {
  if (c === '\r') return '\\r';
  const code = c.charCodeAt(0);
  return code > 0xff ? `\\u${code.toString(16).padStart(4, '0')}` : `\\x${code.toString(16).padStart(2, '0')}`;
}

/** `2026-11-29T17:00:00.000Z socket-server[123] info: message` (no label: no `label[pid]`). */
export function logLine(timestamp: string, label: string, level: string, message: string): string {
  const tag = label ? ` ${label}[${process.pid}]` : '';
  return `${timestamp}${tag} ${level}: ${message.replace(CONTROL, escapeControl)}`;
}

function tryOpen(file: string): number | undefined {
  try {
    return openSync(file, 'a', 0o640);
  } catch {
    return undefined;
  }
}

/**
 * `file` opened for appending, or undefined when it cannot be. logrotate renames the log and
 * creates the new one a moment later (`create` with owner and mode): a process starting in
 * between must not lose its lines, nor (as root) create the file with the wrong owner. So a log
 * missing right after a rotation is waited for briefly.
 */
export function openAppend(file: string): number | undefined {
  // Only a log that was just rotated away (its `.1` is there) is worth waiting for.
  if (existsSync(file) || !existsSync(`${file}.1`)) return tryOpen(file);
  const until = Date.now() + 1000;
  while (Date.now() < until) {
    if (existsSync(file)) return tryOpen(file);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return tryOpen(file);
}

/** True when `file` can be appended to (as openAppend; for a logger that opens the file itself). */
export function canAppend(file: string): boolean {
  const fd = openAppend(file);
  if (fd === undefined) return false;
  closeSync(fd);
  return true;
}
