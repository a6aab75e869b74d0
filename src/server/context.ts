import type { Readable, Writable } from 'node:stream';
import type { AppConfig } from '../config/appConfig.js';
import type { Logger, WinstonLogger } from '../logging/logger.js';
import type { Runner } from '../process/runner.js';
import type { StreamReader } from '../protocol/streamReader.js';
import type { RequestHeader } from '../protocol/request.js';
import type { Encoding } from '../protocol/compression.js';

export type WireProtocol = 'legacy' | 'v2';

export interface ServerIo {
  input: Readable;
  output: Writable;
}

export interface ServerDeps {
  config: AppConfig;
  /** The server's own log (one line per request, plus details). */
  logger: Logger;
  /** Where the backup tool's stderr goes. */
  toolLog: WinstonLogger;
  env: NodeJS.ProcessEnv;
  /** Who connected, for the log. */
  peer: string;
  /** Starts the backup tool, tar and a configured snapshot plugin; execa when absent. */
  run?: Runner;
}

/** One request being served: everything an action needs. */
export interface Session {
  header: RequestHeader;
  protocol: WireProtocol;
  reader: StreamReader;
  output: Writable;
  deps: ServerDeps;
  /** Payload bytes sent or received, for the request log line. */
  bytes: number;
  /** 2.2: the encoding the OK line announced for the data stream (reply.ts); absent: raw bytes. */
  encoding?: Encoding;
  /** Called once the request's extra lines are all read: ends header_timeout's watch. */
  requestRead: () => void;
}

export interface Outcome {
  ok: boolean;
  /** Short words for the log line: what happened. */
  detail: string;
}
