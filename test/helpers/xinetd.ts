import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { freePort } from './freePort.js';

// A real xinetd for one test: its own config, one service on a loopback port, one process per
// connection (wait = no, instances = 1 like the recorded ZRM set-up), only PATH in the env.
export interface Xinetd {
  port: number;
  logFile: string;
  /** Resolves once no server process of an earlier connection is left (instances = 1 refuses the next one until then). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Polls `ss` rather than connecting: a probe connection would spawn a server. */
async function waitForPort(port: number, proc: ResultPromise, deadlineMs: number): Promise<void> {
  let exited = false;
  void proc.then(() => (exited = true), () => (exited = true));
  const until = Date.now() + deadlineMs;
  while (Date.now() < until) {
    if (exited) throw new Error('xinetd exited during start-up');
    const r = await execa('ss', ['-Hltn', `sport = :${port}`], { reject: false });
    if (r.stdout.trim() !== '') return;
    await new Promise((res) => setTimeout(res, 100));
  }
  throw new Error(`xinetd did not listen on ${port}`);
}

export async function startXinetd(dir: string, server: string, opts: { user?: string; env?: Record<string, string>; instances?: number } = {}): Promise<Xinetd> {
  const port = await freePort();
  const conf = join(dir, 'xinetd.conf');
  const logFile = join(dir, 'xinetd.log');
  const env = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`).join(' ');
  await writeFile(
    conf,
    `service zrm-test
{
  type        = UNLISTED
  port        = ${port}
  socket_type = stream
  protocol    = tcp
  wait        = no
  user        = ${opts.user ?? 'root'}
  server      = ${server}
  bind        = 127.0.0.1
  instances   = ${opts.instances ?? 1}
  ${env ? `env         = ${env}` : ''}
  log_type    = FILE ${logFile}
  log_on_success = PID HOST EXIT DURATION
  log_on_failure = HOST
}
`,
  );
  // Stop a test that forgot to: the second xinetd would fight over nothing, but leaks a daemon.
  const proc = execa('xinetd', ['-dontfork', '-f', conf, '-pidfile', join(dir, 'xinetd.pid')], { reject: false, stdio: 'ignore', cleanup: true });
  await waitForPort(port, proc, 10_000);
  return {
    port,
    logFile,
    idle: async () => {
      for (let i = 0; i < 300; i++) {
        const r = await execa('pgrep', ['-P', String(proc.pid)], { reject: false });
        if (r.stdout.trim() === '') return;
        await new Promise((res) => setTimeout(res, 100));
      }
      throw new Error('an earlier connection\'s server is still running after 30 s');
    },
    stop: async () => {
      proc.kill('SIGTERM');
      await proc;
    },
  };
}

export async function xinetdLog(x: Xinetd): Promise<string> {
  return readFile(x.logFile, 'utf8').catch(() => '');
}
