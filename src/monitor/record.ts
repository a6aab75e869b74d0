import { hostname } from 'node:os';
import { redact } from '../logging/redact.js';

// One line of the run history: what happened, when, how long, how big. Never a password (every
// free-text field goes through the log's redaction) and never longer than MAX_LINE bytes, so that
// one append is one write() of a whole line even with several writers (PIPE_BUF is 4096).

export type RecordKind = 'request' | 'copy' | 'verify';

export interface HistoryRecord {
  v: 1;
  kind: RecordKind;
  /** request: the protocol action ('copy from', ...); copy: the copy plugin's form; verify: 'verify'. */
  action: string;
  start: string;
  end: string;
  seconds: number;
  ok: boolean;
  host: string;
  /** ZRM backup set and destination, when known. */
  set?: string | undefined;
  destination?: string | undefined;
  /** The path the request or copy named, or the verified backup. */
  path?: string | undefined;
  bytes?: number | undefined;
  sha256?: string | undefined;
  /** copy: the encoding the stream travelled in (protocol 2.2) and the bytes its frames carried. */
  compression?: string | undefined;
  wireBytes?: number | undefined;
  tool?: string | undefined;
  toolVersion?: string | undefined;
  /** Request: the protocol version line the client sent. */
  protocol?: string | undefined;
  peer?: string | undefined;
  /** verify: when the verified backup was taken (else the verify's end stands for it). */
  backupTime?: string | undefined;
  tables?: number | undefined;
  rows?: number | undefined;
  /** Short words on what happened (the failure when not ok). */
  detail?: string | undefined;
}

export const MAX_LINE = 4000;
const MAX_FIELD = 600;

export type RecordInput = Omit<HistoryRecord, 'v' | 'host' | 'start' | 'end' | 'seconds'> & { startedAt: number; endedAt?: number };

function clip(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const clean = redact(s).replace(/[\r\n]+/g, ' ');
  return clean.length > MAX_FIELD ? `${clean.slice(0, MAX_FIELD)}...` : clean;
}

export function makeRecord(input: RecordInput): HistoryRecord {
  const { startedAt, endedAt = Date.now(), ...rest } = input;
  return {
    v: 1,
    kind: rest.kind,
    action: rest.action,
    start: new Date(startedAt).toISOString(),
    end: new Date(endedAt).toISOString(),
    seconds: Math.round((endedAt - startedAt) / 100) / 10,
    ok: rest.ok,
    host: hostname(),
    ...(rest.set ? { set: clip(rest.set) } : {}),
    ...(rest.destination ? { destination: clip(rest.destination) } : {}),
    ...(rest.path ? { path: clip(rest.path) } : {}),
    ...(rest.bytes !== undefined ? { bytes: rest.bytes } : {}),
    ...(rest.sha256 ? { sha256: rest.sha256 } : {}),
    ...(rest.compression ? { compression: clip(rest.compression) } : {}),
    ...(rest.wireBytes !== undefined ? { wireBytes: rest.wireBytes } : {}),
    ...(rest.tool ? { tool: rest.tool } : {}),
    ...(rest.toolVersion ? { toolVersion: clip(rest.toolVersion) } : {}),
    ...(rest.protocol ? { protocol: clip(rest.protocol) } : {}),
    ...(rest.peer ? { peer: clip(rest.peer) } : {}),
    ...(rest.backupTime ? { backupTime: rest.backupTime } : {}),
    ...(rest.tables !== undefined ? { tables: rest.tables } : {}),
    ...(rest.rows !== undefined ? { rows: rest.rows } : {}),
    ...(rest.detail ? { detail: clip(rest.detail) } : {}),
  };
}

/** The record as one line, cut down to MAX_LINE bytes (the detail goes first). */
export function recordLine(r: HistoryRecord): string {
  let line = JSON.stringify(r);
  if (Buffer.byteLength(line) > MAX_LINE) line = JSON.stringify({ ...r, detail: '(too long)', path: r.path?.slice(0, 200) });
  return `${line}\n`;
}

/** A line read back; undefined for anything that is not a record of ours (a torn or foreign line). */
export function parseRecord(line: string): HistoryRecord | undefined {
  try {
    const v = JSON.parse(line) as Partial<HistoryRecord>;
    if (v?.v !== 1 || typeof v.kind !== 'string' || typeof v.end !== 'string' || typeof v.ok !== 'boolean') return undefined;
    return v as HistoryRecord;
  } catch {
    return undefined;
  }
}
