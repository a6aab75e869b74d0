import { fstatSync } from 'node:fs';
import { Socket } from 'node:net';
import { loadAppConfig, type AppConfig } from '../config/appConfig.js';
import { withUsableStateDir } from '../config/stateDirFallback.js';
import { withDatabaseRoots } from '../config/databaseRoots.js';
import { createLogger, flushLogger, type WinstonLogger as Logger } from '../logging/logger.js';
import { clientRefusal } from '../net/peerGate.js';
import { runServer } from '../server/index.js';
import { logCrash, rememberCrashLog } from '../server/crashLog.js';
import { exitOnSignals } from '../process/exitOnSignals.js';
import { startRequestWatchdog } from '../server/watchdog.js';
import type { ServerIo } from '../server/context.js';
import { reportServerConfigError } from './serverConfigError.js';

/**
 * Under xinetd (or systemd Accept=yes) fds 0, 1 and 2 are the client's socket. We talk through
 * one net.Socket on fd 0, so writes are asynchronous with backpressure and we can half-close.
 */
function connectionIo(): { io: ServerIo; peer: string; close: () => Promise<void> } {
  if (fstatSync(0).isSocket()) {
    // allowHalfOpen: a client that half-closes after its upload still gets our reply, and a
    // 1.8b5 client waiting for us to hang up learns when the upload is really on disk.
    const socket = new Socket({ fd: 0, readable: true, writable: true, allowHalfOpen: true });
    socket.on('error', () => undefined);
    const peer = socket.remoteAddress ? `${socket.remoteAddress}:${socket.remotePort ?? '?'}` : 'unknown';
    const close = () =>
      new Promise<void>((resolve) => {
        socket.once('close', () => resolve());
        socket.end(() => socket.destroy());
        setTimeout(() => {
          socket.destroy();
          resolve();
        }, 10_000).unref();
      });
    return { io: { input: socket, output: socket }, peer, close };
  }
  const close = () =>
    new Promise<void>((resolve) => {
      process.stdin.destroy();
      process.stdout.write('', () => resolve());
    });
  return { io: { input: process.stdin, output: process.stdout }, peer: process.env.REMOTE_HOST ?? 'stdin', close };
}

function quietLoggers(config: AppConfig): { logger: Logger; toolLog: Logger } {
  return {
    logger: createLogger({ file: config.log.serverLog, level: config.log.level, label: 'socket-server' }),
    toolLog: createLogger({ file: config.log.toolLog, level: 'info', label: config.backup.tool }),
  };
}

/** `socket-server.palomino.pl` / `zrm-innobackupex socket-server`: serves one connection. */
export async function socketServerCommand(configPath?: string): Promise<number> {
  const { io, peer, close } = connectionIo();
  let config: AppConfig;
  try {
    config = await withDatabaseRoots(withUsableStateDir(loadAppConfig(configPath, process.env)));
  } catch (err) {
    // Not to stderr (the client's socket): to the server log, else syslog.
    await reportServerConfigError(err, process.env);
    await close();
    throw err;
  }
  rememberCrashLog(config.log.serverLog);
  // xinetd's stop, or an admin's kill: the 'exit' hooks stop the backup tool and its lock with us.
  exitOnSignals((name) => logCrash(new Error(`stopped by ${name}: the request and its backup tool are stopped`), 'signal'));
  const watchdog = startRequestWatchdog(config.server.requestTimeout, config.log.serverLog);
  const { logger, toolLog } = quietLoggers(config);
  const refusal = clientRefusal(io.input, process.env, config.server.allowedClients, fstatSync(0).isSocket());
  if (refusal) {
    // Hung up on before the request is read: a refused client learns nothing from us.
    logger.error(refusal);
    await Promise.all([flushLogger(logger), flushLogger(toolLog)]);
    await close();
    return 1;
  }
  if (io.input instanceof Socket) {
    // A client that goes silent must not hold the service's only instance for ever.
    io.input.setTimeout(config.server.idleTimeout * 1000, () => {
      logger.error(`no traffic from ${peer} for ${config.server.idleTimeout}s: closing`);
      (io.input as Socket).destroy();
    });
  }
  let code = 1;
  try {
    code = await runServer(io, { config, logger, toolLog, env: process.env, peer });
  } catch (err) {
    logger.error(`socket-server crashed: ${(err as Error).stack ?? String(err)}`);
  } finally {
    // Logs first: once the client sees us hang up, we are about to exit. xinetd with
    // `instances = 1` refuses the next connection while this process is still alive.
    await Promise.all([flushLogger(logger), flushLogger(toolLog), watchdog.stop()]);
    // Set now: closing the socket can leave nothing for the event loop to wait on, and Node
    // then exits before this function returns (it used to exit 0 after a failed request).
    process.exitCode = code;
    await close();
  }
  return code;
}
