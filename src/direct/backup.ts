import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { AppConfig } from '../config/appConfig.js';
import type { Credentials } from '../backupTool/types.js';
import { openRequest } from '../client/connection.js';
import { receiveStream } from '../client/forms/copyFrom.js';
import type { PeerMemory } from '../client/peerMemory.js';
import { remoteFor } from '../client/remote.js';
import { ExitCode, ExitError } from '../errors.js';
import { addSecret, type Logger } from '../logging/logger.js';
import { onBackupLanded } from '../restore/landed.js';
import { readMetadata, type BackupMetadata } from '../restore/metadata.js';
import type { RunKey } from '../snapshot/runKey.js';
import { againAfterReset, disarm, snapshotStep, type ArmedRunDeps } from './armedRun.js';
import type { Progress } from './progress.js';
import { backupDirName } from './stamp.js';

// `zrm-innobackupex backup --host DB --target DIR`: ZRM's hot backup without ZRM. Arms the
// database host (create-snapshot, mount), copies ZRM_LINKS of this run with the copy plugin's
// own receiver into a hidden staging directory, records zrm-innobackupex.json (and prepares
// when asked), disarms (always), and only then renames the staging directory to DIR/<time>.

export interface DirectBackupRequest {
  host: string;
  /** The socket server's port; default [server] port. */
  port?: number | undefined;
  target: string;
  prepare: boolean;
  credentials: Credentials;
  /** Where a 1.8b5 server looks for innobackupex-1.5.1 (ZRM's remote-mysql-binpath); /usr/bin. */
  remoteBinpath?: string | undefined;
}

export interface DirectBackupDeps {
  config: AppConfig;
  logger: Logger;
  memory: PeerMemory;
  progress: Progress;
  now?: () => Date;
  /** Aborts the run (Ctrl-C): the copy is cut, the host disarmed, nothing published. */
  signal?: AbortSignal;
}

export interface DirectBackupResult {
  dir: string;
  bytes: number;
  sha256?: string | undefined;
  protocol: string;
  /** Protocol 2.2: the encoding the stream travelled in, and the bytes on the wire. */
  compression?: string | undefined;
  wireBytes?: number | undefined;
  estimate?: number | undefined;
  meta: BackupMetadata;
  /** The backup is complete, but the host could not be disarmed (it stays armed until max_age). */
  disarmError?: string | undefined;
}

async function requireTarget(target: string): Promise<void> {
  await mkdir(target, { recursive: true, mode: 0o750 });
  const st = await stat(target);
  if (!st.isDirectory()) throw new ExitError(`--target ${target} is not a directory`, ExitCode.usage);
}

/** One `copy from` of the armed run's ZRM_LINKS into `staging`. */
async function receiveOnce(staging: string, req: DirectBackupRequest, path: string, deps: DirectBackupDeps & ArmedRunDeps, received: { bytes: number }) {
  const { config, logger } = deps;
  const remote = remoteFor(req.host, remoteConf(req), config);
  const conv = await openRequest(remote, 'copy from', path, config.client, logger, { security: config, memory: deps.memory, v21: true });
  const cut = (): void => void conv.socket.destroy(new Error('interrupted'));
  deps.signal?.addEventListener('abort', cut, { once: true });
  if (deps.signal?.aborted) cut();
  const size = Number(conv.details.get('size'));
  const estimate = Number.isSafeInteger(size) && size > 0 ? size : undefined;
  deps.progress.setEstimate(estimate);
  const onBytes = (n: number): void => {
    received.bytes += n;
    deps.progress.add(n);
  };
  try {
    const r = await receiveStream(conv, staging, { maxFileSize: config.client.maxFileSize, onBytes });
    return { r, protocol: conv.protocol, estimate };
  } finally {
    deps.signal?.removeEventListener('abort', cut);
  }
}

/** The armed copy into `staging`: what landed, checked to be a hot backup. */
async function copyInto(staging: string, req: DirectBackupRequest, run: RunKey, deps: DirectBackupDeps & ArmedRunDeps): Promise<Omit<DirectBackupResult, 'dir'>> {
  const { config, logger } = deps;
  const path = `${run.destination}/${run.set}/ZRM_LINKS/.`;
  const received = { bytes: 0 };
  // Only before the first byte: a reset after data is a failure, not a busy xinetd.
  const got = await againAfterReset(`copy from ${req.host}`, logger, () => receiveOnce(staging, req, path, deps, received), () => received.bytes === 0 && !deps.signal?.aborted);
  const { r, protocol, estimate } = got;
  const zrmConf = new Map([['innobackupex-prepare', req.prepare ? 'yes' : 'no']]);
  await onBackupLanded(staging, r, { host: req.host, path }, { config, logger, zrmConf });
  const meta = await readMetadata(staging);
  if (!meta) throw new ExitError(`${req.host} sent ${r.bytes} bytes but no hot backup (no xtrabackup_checkpoints): is its backup tool configured?`);
  return { bytes: r.bytes, sha256: r.sha256, protocol, compression: r.compression, wireBytes: r.wireBytes, estimate, meta };
}

/** The ZRM settings remoteFor reads (port, remote bin path), from the command line. */
function remoteConf(req: DirectBackupRequest): Map<string, string> {
  const conf = new Map<string, string>();
  if (req.port !== undefined) conf.set('socket-remote-port', String(req.port));
  if (req.remoteBinpath) conf.set('remote-mysql-binpath', req.remoteBinpath);
  return conf;
}

export async function runDirectBackup(req: DirectBackupRequest, deps: DirectBackupDeps): Promise<DirectBackupResult> {
  const { config, logger } = deps;
  addSecret(logger, req.credentials.password);
  const target = resolve(req.target);
  await requireTarget(target);
  const name = backupDirName((deps.now ?? (() => new Date()))());
  const dir = join(target, name);
  if (await stat(dir).catch(() => undefined)) throw new ExitError(`${dir} exists already (another backup started this second?)`);
  // One run key per backup: the host serves this run's copy only, and refuses a second run
  // while this one holds it (runLock.ts).
  const run: RunKey = { set: `direct-${name}`, destination: target };
  const remote = remoteFor(req.host, remoteConf(req), config);
  const staging = await mkdtemp(join(target, `.${name}.partial-`));
  let result: Omit<DirectBackupResult, 'dir'> | undefined;
  let failure: unknown;
  const interrupted = (): void => {
    if (deps.signal?.aborted) throw new ExitError('interrupted');
  };
  try {
    await snapshotStep('create-snapshot', remote, run, req.credentials, deps);
    interrupted();
    await snapshotStep('mount', remote, run, req.credentials, deps);
    interrupted();
    logger.info(`armed ${req.host}:${remote.port} for ${run.set}; copying into ${staging}`);
    result = await copyInto(staging, req, run, deps);
    interrupted();
  } catch (err) {
    failure = err;
  } finally {
    deps.progress.finish();
  }
  // Always, also after a failure: the host must not stay armed with our account.
  const disarmError = await disarm(remote, run, req.credentials, deps);
  if (failure !== undefined || !result || deps.signal?.aborted) {
    await rm(staging, { recursive: true, force: true });
    throw deps.signal?.aborted ? new ExitError('interrupted: the host was disarmed, nothing was published') : failure;
  }
  await rename(staging, dir);
  const transit = result.compression ? ` (${result.wireBytes ?? '?'} on the wire, ${result.compression})` : '';
  logger.info(`direct backup of ${req.host} in ${dir}: ${result.bytes} bytes${transit}`);
  return { dir, ...result, ...(disarmError ? { disarmError: disarmError.message } : {}) };
}
