import { appendFileSync } from 'node:fs';
import { execa } from 'execa';
import { DEFAULT_CONFIG } from '../config/appConfig.js';
import { ConfigError } from '../config/configError.js';
import { errorMessage } from '../errors.js';

/**
 * Reports settings the socket server could not use. Under xinetd stderr is the client's socket,
 * so the message goes to the server log (the one the files named, as far as they could be read,
 * else the default) and, where that cannot be written, to syslog through logger(1).
 */
export async function reportServerConfigError(err: unknown, env: NodeJS.ProcessEnv): Promise<'log' | 'syslog' | 'lost'> {
  const log = (err instanceof ConfigError ? err.serverLog : undefined) ?? DEFAULT_CONFIG.log.serverLog;
  const lines = errorMessage(err).split('\n').map((l) => `settings unusable, not serving: ${l}`);
  try {
    const stamp = new Date().toISOString();
    appendFileSync(log, lines.map((l) => `${stamp} socket-server[${process.pid}] error: ${l}\n`).join(''), { mode: 0o640 });
    return 'log';
  } catch {
    // Not even the log: syslog is all that is left.
  }
  const results = await Promise.all(
    lines.map((l) =>
      execa('logger', ['-t', 'zrm-innobackupex', '-p', 'daemon.err', '--', l], {
        env,
        extendEnv: false,
        stdin: 'ignore',
        stdout: 'ignore',
        stderr: 'ignore',
        reject: false,
        timeout: 10_000,
      }),
    ),
  );
  return results.every((r) => r.exitCode === 0) ? 'syslog' : 'lost';
}
