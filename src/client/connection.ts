import { connect, type Socket } from 'node:net';
import { openSecureRequest, securityConfigured, type PeerSecurity } from '../auth/clientGate.js';
import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError, ProtocolError } from '../errors.js';
import { writeAll } from '../protocol/io.js';
import { formatRequestHeader } from '../protocol/request.js';
import { StreamReader } from '../protocol/streamReader.js';
import { LEGACY_VERSION, V21_VERSION, V22_VERSION, V2_FAMILY, V2_VERSION } from '../protocol/versions.js';
import { v2Conversation } from './okLine.js';
import type { Logger } from '../logging/logger.js';
import type { Remote } from './context.js';
import { NO_MEMORY, newestFor, spokenFor, type PeerMemory } from './peerMemory.js';

export interface Conversation {
  protocol: 'legacy' | 'v2';
  socket: Socket;
  reader: StreamReader;
  /** v2: what followed 'OK' in the server's answer (the stream format, 'ready', or ''). */
  greeting: string;
  /** 2.1 and later: the `key=value` details of the OK line (e.g. size, compression); empty otherwise. */
  details: ReadonlyMap<string, string>;
}

/** What a request's version line asks: the version, and (2.2) the encodings we accept. */
export interface VersionAsk {
  version: string;
  encodings?: readonly string[];
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

async function start(remote: Remote, ask: VersionAsk, action: string, params: string, settings: ClientSettings): Promise<{ socket: Socket; reader: StreamReader }> {
  const socket = await openSocket(remote.host, remote.port, settings.connectTimeout);
  const idleSeconds = settings.idleTimeout;
  // Errors surface through the reader and writeAll; this keeps a late EPIPE from crashing us.
  socket.on('error', () => undefined);
  // A server that stops talking must not hang ZRM for ever.
  socket.setTimeout(idleSeconds * 1000, () => socket.destroy(new ExitError(`no data from ${remote.host}:${remote.port} for ${idleSeconds} s ([client] idle_timeout)`)));
  const reader = new StreamReader(socket);
  await writeAll(socket, formatRequestHeader({ ...ask, action, params, tmpdir: remote.tmpdir, binpath: remote.binpath }));
  return { socket, reader };
}

const pause = (ms: number) => new Promise((res) => setTimeout(res, ms));

/** A v2 request: the conversation, or null when the server hung up without a word. */
async function tryV2(remote: Remote, action: string, params: string, settings: ClientSettings, ask: VersionAsk): Promise<Conversation | null> {
  const { socket, reader } = await start(remote, ask, action, params, settings);
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
  if (answer.startsWith('OK')) return v2Conversation(ask.version, socket, reader, answer.slice(2).trim());
  socket.destroy();
  const message = answer.startsWith('ERROR') ? answer.slice(5).trim() : `unexpected answer '${answer.slice(0, 80)}'`;
  throw new ExitError(`${remote.host}: ${message}`);
}

/** Pauses before each v2 retry after a silent hang-up: xinetd `instances` frees up in a moment. */
const V2_RETRY_PAUSES_MS = [500, 1000, 2000, 4000];

/**
 * Pauses before each retry of a version newer than 2.0: a silent hang-up is an older server
 * refusing it, or xinetd still counting the last server against `instances`; a short back-off
 * tells them apart cheaply (the older server's verdict is then remembered for an hour).
 */
const STEP_DOWN_PAUSES_MS = [500, 1000];

/** v2 with back-off: a server that hangs up without a word is asked again a few times. */
async function v2WithRetries(remote: Remote, action: string, params: string, settings: ClientSettings, pauses: readonly number[], ask: VersionAsk): Promise<Conversation | null> {
  for (let attempt = 0; attempt <= pauses.length; attempt++) {
    if (attempt > 0) await pause(pauses[attempt - 1] ?? 0);
    const conv = await tryV2(remote, action, params, settings, ask);
    if (conv) return conv;
  }
  return null;
}

/** Requests that receive a data stream from the server: the ones compression in transit (2.2) is for. */
const RECEIVES_STREAM = new Set(['copy from', 'mysqlhotcopy']);

/**
 * The newest version a request needs: 2.2 for a data stream when [client] compression is on,
 * 2.1 when the caller wants OK-line details, else 2.0 (what everything else always spoke).
 */
function newestWanted(action: string, settings: ClientSettings, v21: boolean): VersionAsk {
  const encodings = RECEIVES_STREAM.has(action) ? settings.compression.map((e) => e.token) : [];
  if (encodings.length > 0) return { version: V22_VERSION, encodings };
  return { version: v21 ? V21_VERSION : V2_VERSION };
}

/**
 * Opens a request in the configured protocol. In `auto`, an old 1.8b5 server hangs up on our
 * version line without a word; xinetd hangs up the same way while its `instances` are taken. So
 * a silent hang-up is retried in v2 with back-off, and a server that once answered v2 (remembered
 * per host:port) is never taken for an old one: only then, or when config says `legacy`, or when a
 * server never answered v2 at all, do we speak 1.8b5.
 *
 * Within v2, a request that needs a newer version (2.2 for compression, 2.1 for details) asks in
 * it first and steps down the chain (V2_FAMILY) one version per silent refusal, briefly retried
 * each time (xinetd busy); the version that answered is remembered for an hour (peerMemory.ts),
 * so the next request starts there.
 */
export interface OpenOptions {
  /** [auth] / [tls]: when set, the secure hello and never 1.8b5 (auth/clientGate.ts). */
  security?: PeerSecurity;
  /** What each host:port spoke before (peerMemory.ts). */
  memory?: PeerMemory;
  /** Pauses before each 2.0 retry after a silent hang-up. */
  pauses?: readonly number[];
  /** Ask in 2.1 at least (OK-line details such as the size); an older server is asked again in 2.0. */
  v21?: boolean;
  /** Pauses before each retry of a newer version after a silent hang-up. */
  stepPauses?: readonly number[];
}

export async function openRequest(remote: Remote, action: string, params: string, settings: ClientSettings, logger: Logger, opts: OpenOptions = {}): Promise<Conversation> {
  const { security, memory = NO_MEMORY, pauses = V2_RETRY_PAUSES_MS, v21 = false, stepPauses = STEP_DOWN_PAUSES_MS } = opts;
  const mode = settings.protocol;
  const where = `${remote.host}:${remote.port}`;
  const wanted = newestWanted(action, settings, v21);
  const known = mode === 'auto' || wanted.version !== V2_VERSION ? await memory.recall(remote) : null;
  const secure = securityConfigured(security);
  // The secure hello never speaks 1.8b5 (clientGate.ts refuses protocol = legacy itself).
  const speaksLegacy = !secure && (mode === 'legacy' || (mode === 'auto' && known === 'legacy'));
  // From the newest version wanted, or the one this server answered lately if older, down to 2.0.
  const chain = speaksLegacy ? [] : V2_FAMILY.slice(Math.max(V2_FAMILY.indexOf(wanted.version), V2_FAMILY.indexOf(newestFor(known))));
  for (const [i, version] of chain.entries()) {
    const ask: VersionAsk = version === V22_VERSION ? wanted : { version };
    const older = chain[i + 1];
    const conv = secure
      ? await openSecureRequest(remote, action, params, settings, security, openSocket, ask)
      : await v2WithRetries(remote, action, params, settings, older ? stepPauses : pauses, ask);
    if (conv) {
      // A step down (or an answer after a 1.8b5 verdict that expired) is news; the same answer as before is not.
      const spoken = i > 0 ? spokenFor(version) : 'v2';
      if (mode === 'auto' || i > 0 || wanted.version !== V2_VERSION) {
        if (i > 0 || known === null || known === 'legacy') await memory.remember(remote, spoken);
      }
      return conv;
    }
    if (older) logger.info(`${where} hung up on ${version}; asking again in ${older}`);
  }
  if (secure) throw new ExitError(`${where}: closed the connection without answering our request`);
  if (chain.length > 0) {
    if (mode === 'v2') throw new ExitError(`${where} closed the connection without answering (not a v2 server? set [client] protocol = auto)`);
    if (known !== null) {
      throw new ExitError(
        `${where} answered in ${V2_VERSION} before, but now hangs up without a word (${pauses.length + 1} tries): ` +
          'busy (xinetd instances?) or failing; not falling back to 1.8b5, which cannot report failures',
      );
    }
    logger.info(`${where} does not speak ${V2_VERSION}; retrying in ${LEGACY_VERSION}`);
    await pause(500);
  }
  const { socket, reader } = await start(remote, { version: LEGACY_VERSION }, action, params, settings);
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
