import type { Readable, Writable } from 'node:stream';
import type { AppConfig } from '../config/appConfig.js';
import type { Logger } from '../logging/logger.js';
import type { StreamReader } from '../protocol/streamReader.js';
import type { RequestHeader } from '../protocol/request.js';

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
  toolLog: Logger;
  env: NodeJS.ProcessEnv;
  /** Who connected, for the log. */
  peer: string;
  /** Where /etc/mysql-zrm/plugin-path is looked for (tests point it elsewhere). */
  pluginPathFile?: string;
  /** The directory this server's own plugin file is in: the snapshot plugin's last resort. */
  selfDir?: string;
  /** Seconds for the first line (and a hello's handshake); tests shorten it. Default 30. */
  admissionSeconds?: number;
}

/** One request being served: everything an action needs. */
export interface Session {
  header: RequestHeader;
  protocol: WireProtocol;
  reader: StreamReader;
  output: Writable;
  deps: ServerDeps;
  /** The client's temp dir if it exists here, else the configured one. */
  tmpdir: string;
  /** Payload bytes sent or received, for the request log line. */
  bytes: number;
}

export interface Outcome {
  ok: boolean;
  /** Short words for the log line: what happened. */
  detail: string;
}
