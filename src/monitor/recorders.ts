import { resolve } from 'node:path';
import type { AppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import type { Logger } from '../logging/logger.js';
import { readMetadata } from '../restore/metadata.js';
import { makeRecord } from './record.js';
import { appendRecord } from './store.js';
import { setOfPath } from './zrmRun.js';

// The one-line calls the server, the copy plugin and verify make when they end. Each awaits a
// single append and never throws: the history must never fail what it records.

export interface RequestFacts {
  startedAt: number;
  config: AppConfig;
  logger: Logger;
  peer: string;
  header: { version: string; action: string; params: string } | undefined;
  bytes: number;
  outcome: { ok: boolean; detail: string };
}

/** A request the socket server handled (any outcome, refused ones too). */
export async function recordRequest(f: RequestFacts): Promise<void> {
  const { config, header } = f;
  // remove-backup-data's params are '<type> <backup dir>'; the others name the path first.
  const path = header?.action === 'remove-backup-data' ? header.params.split(' ').slice(1).join(' ') : header?.params;
  const run = setOfPath(path);
  const ranTool = header?.action === 'copy from' && f.outcome.detail.startsWith(`${config.backup.tool} `);
  await appendRecord(
    config.state.dir,
    makeRecord({
      kind: 'request',
      action: header?.action ?? '?',
      startedAt: f.startedAt,
      ok: f.outcome.ok,
      set: run?.set,
      destination: run?.destination,
      path: header?.params,
      bytes: f.bytes,
      tool: ranTool ? config.backup.tool : undefined,
      protocol: header?.version,
      peer: f.peer,
      detail: f.outcome.detail,
    }),
    f.logger,
    { create: config.state.dirConfigured },
  );
}

/** What a copy learned on its way: filled in by the copy as it goes. */
export interface CopyFacts {
  action?: string;
  path?: string;
  destinationDir?: string;
  bytes?: number;
  sha256?: string | undefined;
  /** Protocol 2.2: the encoding the stream travelled in, and the bytes on the wire. */
  compression?: string | undefined;
  wireBytes?: number | undefined;
}

export interface CopyEnd {
  startedAt: number;
  config: AppConfig;
  logger: Logger;
  form: string;
  /** ZRM's backup-set key, when ZRM passed its settings. */
  zrmSet?: string | undefined;
  ok: boolean;
  detail?: string | undefined;
}

/** A copy plugin run on the backup host. */
export async function recordCopy(facts: CopyFacts, end: CopyEnd): Promise<void> {
  const run = setOfPath(facts.destinationDir);
  const meta = end.ok && facts.destinationDir && facts.action === 'copy from' ? await readMetadata(facts.destinationDir).catch(() => undefined) : undefined;
  const stateDir = withUsableStateDir(end.config).state.dir;
  await appendRecord(
    stateDir,
    makeRecord({
      kind: 'copy',
      action: facts.action ?? end.form,
      startedAt: end.startedAt,
      ok: end.ok,
      set: end.zrmSet || run?.set,
      destination: run?.destination,
      path: facts.destinationDir ?? facts.path,
      bytes: facts.bytes,
      sha256: facts.sha256 ?? meta?.stream.sha256,
      compression: facts.compression,
      wireBytes: facts.wireBytes,
      tool: meta?.tool,
      toolVersion: meta?.toolVersion,
      detail: end.detail,
    }),
    end.logger,
    { create: end.config.state.dirConfigured },
  );
}

export interface VerifyEnd {
  startedAt: number;
  stateDir: string;
  /** The settings name the state directory: it may be created. */
  createStateDir: boolean;
  logger?: Logger | undefined;
  report: {
    ok: boolean;
    path: string;
    backup?: string | undefined;
    tool?: string | undefined;
    toolVersion?: string | undefined;
    bytes?: number | undefined;
    tables?: number | undefined;
    rows?: number | undefined;
    pointInTime?: { endTime?: string | undefined } | undefined;
    failure?: { step: string; message: string } | undefined;
  };
}

/** xtrabackup_info's end_time ('2026-11-25 12:56:49', the server's local time) as ISO. */
function backupTime(endTime: string | undefined): string | undefined {
  if (!endTime) return undefined;
  const t = new Date(endTime.replace(' ', 'T'));
  return Number.isNaN(t.getTime()) ? undefined : t.toISOString();
}

/** A verify run's result. */
export async function recordVerify(v: VerifyEnd): Promise<void> {
  const r = v.report;
  const path = resolve(r.path);
  const run = setOfPath(path) ?? setOfPath(r.backup);
  await appendRecord(
    v.stateDir,
    makeRecord({
      kind: 'verify',
      action: 'verify',
      startedAt: v.startedAt,
      ok: r.ok,
      set: run?.set,
      destination: run?.destination,
      path,
      bytes: r.bytes,
      tool: r.tool,
      toolVersion: r.toolVersion,
      backupTime: backupTime(r.pointInTime?.endTime),
      tables: r.tables,
      rows: r.rows,
      detail: r.failure ? `${r.failure.step}: ${r.failure.message}` : undefined,
    }),
    v.logger,
    { create: v.createStateDir },
  );
}
