import type { AppConfig } from '../config/appConfig.js';

// One doctor check: a small function over injected effects (programs, files, the network), so a
// unit test runs it against a fake and the real command against the host.

export type CheckStatus = 'pass' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do about a failure. */
  fix?: string | undefined;
}

export interface ExecResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface FileInfo {
  uid: number;
  mode: number;
  isDirectory: boolean;
}

/** What the agent on a host says to a v2 `status` request. */
export interface AgentReply {
  /** 'status': key=value lines; 'old-v2': a v2 server without `status`; 'legacy': hung up on v2. */
  kind: 'status' | 'old-v2' | 'legacy';
  values: Map<string, string>;
  message?: string;
}

export interface DoctorDeps {
  config: AppConfig;
  /** Runs a program (argv, never a shell); a missing program is exitCode 127. */
  exec(file: string, args: readonly string[]): Promise<ExecResult>;
  stat(path: string): Promise<FileInfo | undefined>;
  readFile(path: string): Promise<string | undefined>;
  readdir(path: string): Promise<string[]>;
  /** The uid of a user name, undefined when there is none. */
  uidOf(user: string): Promise<number | undefined>;
  /** A v2 `status` request to host:port; throws when nothing answers. */
  askAgent(host: string, port: number): Promise<AgentReply>;
  /** An option file with the database account, when one is known (credentials_file or --credentials). */
  credentialsFile: string;
  /** Where ZRM's backup sets live; /etc/mysql-zrm. */
  zrmDir?: string;
}

export const pass = (name: string, detail: string): CheckResult => ({ name, status: 'pass', detail });
export const fail = (name: string, detail: string, fix: string): CheckResult => ({ name, status: 'fail', detail, fix });
export const skip = (name: string, detail: string): CheckResult => ({ name, status: 'skip', detail });
