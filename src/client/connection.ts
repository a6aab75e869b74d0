import { connect, type Socket } from 'node:net';
import { openSecureRequest, securityConfigured, type PeerSecurity } from '../auth/clientGate.js';
import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError, ProtocolError } from '../errors.js';
import { writeAll } from '../protocol/io.js';
import { formatRequestHeader } from '../protocol/request.js';
import { StreamReader } from '../protocol/streamReader.js';
import { LEGACY_VERSION, V21_VERSION, V2_VERSION } from '../protocol/versions.js';
import { v2Conversation } from './okLine.js';
import type { Logger } from '../logging/logger.js';
import type { Remote } from './context.js';
import { NO_MEMORY, type PeerMemory } from './peerMemory.js';

export interface Conversation {
  protocol: 'legacy' | 'v2';
  socket: Socket;
  reader: StreamReader;
  /** v2: what followed 'OK' in the server's answer (the stream format, 'ready', or ''). */
  greeting: string;
  /** 2.1: the `key=value` details of the OK line (e.g. size); empty otherwise. */
  details: ReadonlyMap<string, string>;
}

function openSocket(host: string, port: number, timeoutSeconds: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new ExitError(`connecting to ${host}:${port} timed out after ${timeoutSeconds}s`));
    }, timeoutSeconds * 1000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.setKeepAlive(true, 60_000);
      resolve(socket);
    });
    socket.once('error', (err) => {
      clearTimeout(timer);
      reject(new ExitError(`cannot connect to ${host}:${port}: ${err.message}`, ExitCode.failure, { cause: err }));
    });
  });
}

type ClientSettings = AppConfig['client'];

async function start(remote: Remote, version: string, action: string, params: string, settings: ClientSettings): Promise<{ socket: Socket; reader: StreamReader }> {
  const socket = await openSocket(remote.host, remote.port, settings.connectTimeout);
  const idleSeconds = settings.idleTimeout;
  // Errors surface through the reader and writeAll; this keeps a late EPIPE from crashing us.
  socket.on('error', () => undefined);
  // A server that stops talking must not hang ZRM for ever.
  socket.setTimeout(idleSeconds * 1000, () => socket.destroy(new ExitError(`no data from ${remote.host}:${remote.port} for ${idleSeconds} s ([client] idle_timeout)`)));
  const reader = new StreamReader(socket);
  await writeAll(socket, formatRequestHeader({ version, action, params, tmpdir: remote.tmpdir, binpath: remote.binpath }));
  return { socket, reader };
}

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** A v2 request: the conversation, or null when the server hung up without a word. */
async function tryV2(remote: Remote, action: string, params: string, settings: ClientSettings, version = V2_VERSION): Promise<Conversation | null> {
  const { socket, reader } = await start(remote, version, action, params, settings);
  let answer: string | null;
  try {
    answer = await reader.readLine(64 * 1024);
  } catch (err) {
    socket.destroy();
    if (!(err instanceof ProtocolError)) throw err;
    return null;
  }
  if (answer === null) {
    socket.destroy();
    return null;
  }
  if (answer.startsWith('OK')) return v2Conversation(version, socket, reader, answer.slice(2).trim());
  socket.destroy();
  const message = answer.startsWith('ERROR') ? answer.slice(5).trim() : `unexpected answer '${answer.slice(0, 80)}'`;
  throw new ExitError(`${remote.host}: ${message}`);
}

/** Pauses before each v2 retry after a silent hang-up: xinetd `instances` frees up in a moment. */
const V2_RETRY_PAUSES_MS = [500, 1000, 2000, 4000];

/**
 * Pauses before each 2.1 retry: a silent hang-up is a 2.0 server refusing 2.1, or xinetd still
 * counting the last server against `instances`; a short back-off tells them apart cheaply (a 2.0
 * verdict is then remembered for an hour).
 */
const V21_RETRY_PAUSES_MS = [500, 1000];

/** v2 with back-off: a server that hangs up without a word is asked again a few times. */
async function v2WithRetries(remote: Remote, action: string, params: string, settings: ClientSettings, pauses: readonly number[], version = V2_VERSION): Promise<Conversation | null> {
  for (let attempt = 0; attempt <= pauses.length; attempt++) {
    if (attempt > 0) await pause(pauses[attempt - 1] ?? 0);
    const conv = await tryV2(remote, action, params, settings, version);
    if (conv) return conv;
  }
  return null;
}

/**
 * Opens a request in the configured protocol. In `auto`, an old 1.8b5 server hangs up on our
 * version line without a word; xinetd hangs up the same way while its `instances` are taken. So
 * a silent hang-up is retried in v2 with back-off, and a server that once answered v2 (remembered
 * per host:port) is never taken for an old one: only then, or when config says `legacy`, or when a
 * server never answered v2 at all, do we speak 1.8b5.
 */
export interface OpenOptions {
  /** [auth] / [tls]: when set, the secure hello and never 1.8b5 (auth/clientGate.ts). */
  security?: PeerSecurity;
  /** What each host:port spoke before (peerMemory.ts). */
  memory?: PeerMemory;
  /** Pauses before each v2 retry after a silent hang-up. */
  pauses?: readonly number[];
  /** Ask in 2.1 first (OK-line details such as the size); a 2.0 server is asked again in 2.0. */
  v21?: boolean;
  /** Pauses before each 2.1 retry after a silent hang-up. */
  pauses21?: readonly number[];
}

export async function openRequest(remote: Remote, action: string, params: string, settings: ClientSettings, logger: Logger, opts: OpenOptions = {}): Promise<Conversation> {
  const { security, memory = NO_MEMORY, pauses = V2_RETRY_PAUSES_MS, v21 = false, pauses21 = V21_RETRY_PAUSES_MS } = opts;
  const mode = settings.protocol;
  const where = `${remote.host}:${remote.port}`;
  const known = mode === 'auto' || v21 ? await memory.recall(remote) : null;
  // 2.1 first unless this server refused it lately; silent hang-ups on it are retried briefly
  // (xinetd busy), then the server is asked in 2.0 and remembered as a 2.0 one.
  const ask21 = v21 && mode !== 'legacy' && known !== 'legacy' && known !== 'v2.0';
  if (securityConfigured(security)) {
    if (ask21) {
      const conv = await openSecureRequest(remote, action, params, settings, security, openSocket, V21_VERSION);
      if (conv) return conv;
      logger.info(`${where} does not speak ${V21_VERSION}; asking again in ${V2_VERSION}`);
      await memory.remember(remote, 'v2.0');
    }
    const conv = await openSecureRequest(remote, action, params, settings, security, openSocket);
    if (!conv) throw new ExitError(`${where}: closed the connection without answering our request`);
    return conv;
  }
  if (ask21) {
    const conv = await v2WithRetries(remote, action, params, settings, pauses21, V21_VERSION);
    if (conv) {
      if (known !== 'v2') await memory.remember(remote, 'v2');
      return conv;
    }
    logger.info(`${where} hung up on ${V21_VERSION}; asking again in ${V2_VERSION}`);
  }
  if (mode !== 'legacy' && known !== 'legacy') {
    const conv = await v2WithRetries(remote, action, params, settings, pauses);
    if (conv) {
      if (ask21) await memory.remember(remote, 'v2.0');
      else if (known !== 'v2' && known !== 'v2.0') await memory.remember(remote, 'v2');
      return conv;
    }
    if (mode === 'v2') throw new ExitError(`${where} closed the connection without answering (not a v2 server? set [client] protocol = auto)`);
    if (known === 'v2' || known === 'v2.0') {
      throw new ExitError(
        `${where} answered in ${V2_VERSION} before, but now hangs up without a word (${pauses.length + 1} tries): ` +
          'busy (xinetd instances?) or failing; not falling back to 1.8b5, which cannot report failures',
      );
    }
    logger.info(`${where} does not speak ${V2_VERSION}; retrying in ${LEGACY_VERSION}`);
    await pause(500);
  }
  const { socket, reader } = await start(remote, LEGACY_VERSION, action, params, settings);
  if (mode === 'auto' && known !== 'legacy') await memory.remember(remote, 'legacy');
  return { protocol: 'legacy', socket, reader, greeting: '', details: new Map() };
}

/**
 * After the last reply: waits (briefly) for the server to hang up before we go. The server hangs
 * up just before it exits, so ZRM's next call does not reach xinetd while this server still
 * counts against `instances`.
 */
export function awaitServerClose(socket: Socket, ms = 5000): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed || socket.readableEnded) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(done, ms);
    socket.once('end', done);
    socket.once('close', done);
    socket.resume();
  });
}

/** Half-closes our side and waits for the server to hang up (1.8b5 actions without a reply). */
export function finishAndWaitClose(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    if (socket.destroyed) return resolve();
    socket.once('close', () => resolve());
    socket.end();
    socket.resume();
  });
}
