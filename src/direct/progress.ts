import type { Writable } from 'node:stream';
import { formatBytes, formatDuration } from '../humanUnits.js';

// The one refreshed line a direct backup shows on a terminal (stderr): bytes so far, rate,
// elapsed time and, when the server told us the database's size (protocol 2.1), how far along
// and how long is left. Nothing at all when stderr is not a terminal (cron, pipes, --json).

export interface ProgressState {
  bytes: number;
  elapsedMs: number;
  /** The database's size from the server, if it said. */
  estimate?: number | undefined;
}

export function formatProgress(p: ProgressState): string {
  const rate = p.elapsedMs > 0 ? (p.bytes * 1000) / p.elapsedMs : 0;
  let line = `${formatBytes(p.bytes)}  ${formatBytes(Math.round(rate))}/s  ${formatDuration(p.elapsedMs)}`;
  if (p.estimate !== undefined && p.estimate > 0) {
    // An estimate (the datadir's size, not the stream's): never claim 100% before the end.
    const pct = Math.min(99, Math.floor((p.bytes * 100) / p.estimate));
    const left = rate > 0 && p.bytes < p.estimate ? `, ~${formatDuration(((p.estimate - p.bytes) / rate) * 1000)} left` : '';
    line += `  ~${pct}% of ${formatBytes(p.estimate)}${left}`;
  }
  return line;
}

export interface Progress {
  /** The copy starts; `bytes` is the server's size estimate, if it gave one. */
  setEstimate(bytes: number | undefined): void;
  add(bytes: number): void;
  /** Ends the line (a terminal gets its last state and a newline). */
  finish(): void;
}

export const NO_PROGRESS: Progress = { setEstimate: () => undefined, add: () => undefined, finish: () => undefined };

/** A progress line on `out` when it is a terminal, else nothing; redrawn at most 4 times a second. */
export function progressOn(out: Writable & { isTTY?: boolean }, now: () => number = Date.now): Progress {
  if (!out.isTTY) return NO_PROGRESS;
  let started = now();
  let bytes = 0;
  let estimate: number | undefined;
  let drawn = 0;
  const draw = (): void => {
    out.write(`\r${formatProgress({ bytes, elapsedMs: now() - started, estimate })}\x1b[K`);
    drawn = now();
  };
  return {
    // Called when the copy starts: rate and elapsed time count from here, not from the arming.
    setEstimate: (b) => {
      estimate = b;
      started = now();
    },
    add: (n) => {
      bytes += n;
      if (now() - drawn >= 250) draw();
    },
    finish: () => {
      draw();
      out.write('\n');
    },
  };
}
