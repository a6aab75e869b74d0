import { VERSION } from '../version.js';
import { errorMessage, ExitCode, ExitError } from '../errors.js';
import type { DirectBackupResult } from './backup.js';
import { formatBytes, formatDuration } from '../humanUnits.js';

// What `backup --json` prints at the end (stdout, one JSON document, also on failure) and the
// one line a person gets instead.

export interface DirectSummary {
  outcome: 'ok' | 'failed' | 'disarm-failed';
  exitCode: number;
  host: string;
  /** The published backup directory (absent when nothing was published). */
  target?: string | undefined;
  bytes?: number | undefined;
  durationSeconds: number;
  sha256?: string | undefined;
  tool?: string | undefined;
  toolVersion?: string | undefined;
  serverVersion?: string | undefined;
  /** zrm-innobackupex's own version. */
  version: string;
  protocol?: string | undefined;
  /** Protocol 2.2: the encoding the stream travelled in, and the bytes on the wire. */
  compression?: string | undefined;
  wireBytes?: number | undefined;
  lsn?: { from: number; to: number } | undefined;
  prepared?: boolean | undefined;
  estimatedBytes?: number | undefined;
  error?: string | undefined;
}

export function summarise(host: string, startedMs: number, endedMs: number, outcome: { result: DirectBackupResult } | { error: unknown }): DirectSummary {
  const base = { host, durationSeconds: Math.round((endedMs - startedMs) / 100) / 10, version: VERSION };
  if ('error' in outcome) {
    const exitCode = outcome.error instanceof ExitError ? outcome.error.exitCode : ExitCode.failure;
    return { outcome: 'failed', exitCode, ...base, error: errorMessage(outcome.error) };
  }
  const r = outcome.result;
  return {
    outcome: r.disarmError ? 'disarm-failed' : 'ok',
    exitCode: r.disarmError ? ExitCode.failure : ExitCode.ok,
    ...base,
    target: r.dir,
    bytes: r.bytes,
    sha256: r.sha256,
    tool: r.meta.tool,
    toolVersion: r.meta.toolVersion,
    serverVersion: r.meta.serverVersion,
    protocol: r.protocol,
    ...(r.compression ? { compression: r.compression, wireBytes: r.wireBytes } : {}),
    lsn: { from: r.meta.checkpoints.fromLsn, to: r.meta.checkpoints.toLsn },
    prepared: r.meta.prepared !== undefined,
    estimatedBytes: r.estimate,
    ...(r.disarmError ? { error: `the backup is complete, but disarming ${host} failed (it stays armed until [state] max_age): ${r.disarmError}` } : {}),
  };
}

/** The human line(s) for stdout (success) or the error for stderr. */
export function describeSummary(s: DirectSummary): string {
  if (s.outcome === 'failed') return `backup of ${s.host} FAILED after ${formatDuration(s.durationSeconds * 1000)}: ${s.error ?? ''}\n`;
  const what = `${s.tool ?? '?'} ${s.toolVersion ?? ''}`.trimEnd();
  let text = `backup of ${s.host} in ${s.target}: ${formatBytes(s.bytes ?? 0)} in ${formatDuration(s.durationSeconds * 1000)} (${what}, LSN ${s.lsn?.to ?? '?'}${s.prepared ? ', prepared' : ''})\n`;
  if (s.error) text += `WARNING: ${s.error}\n`;
  return text;
}
