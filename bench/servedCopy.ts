// One `copy from` between two real processes over loopback, as users run them: a server started
// on the accepted connection (fds 0 and 1, as xinetd starts it) and a client started as ZRM starts
// the copy plugin, each under GNU time (peak RSS and CPU, its tar included). The `rss` group runs
// our bundle on both ends; `pair` mixes it with the 1.8b5 Perl stand-ins.
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import type { ClientProtocol } from '../src/config/appConfig.js';
import { runTool } from './measure.js';
import type { Row } from './report.js';

/** The whole program's bundle, as the launcher runs it. */
export const BUNDLE = fileURLToPath(new URL('../../dist/app/zrm-innobackupex.mjs', import.meta.url));

/** A process to start: program, arguments, environment. */
export interface Command {
  file: string;
  args: readonly string[];
  env: NodeJS.ProcessEnv;
}

/**
 * One-connection listener whose socket is handed to a child unread (pauseOnConnect); `stop`
 * gives up waiting (the client failed before connecting).
 */
async function listenForChild(): Promise<{ port: number; accepted: Promise<Socket>; stop: () => void }> {
  const server = createServer({ pauseOnConnect: true });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  const accepted = new Promise<Socket>((resolve, reject) => {
    server.once('connection', (socket: Socket) => {
      server.close();
      resolve(socket);
    });
    server.once('close', () => reject(new Error('the client never connected')));
  });
  return { port: address.port, accepted, stop: () => server.close() };
}

/**
 * The environment of our bundle on either end: only `root` is served, logs go there, nothing
 * is armed, the client speaks `protocol` and learns the server's port from ZRM's per-run
 * settings, as under ZRM.
 */
export async function bundleEnv(root: string, protocol: ClientProtocol, port: number): Promise<NodeJS.ProcessEnv> {
  const conf = join(root, `served-${protocol}-${port}.conf`);
  const zrmConf = join(root, `served-${protocol}-${port}-zrm.conf`);
  await writeFile(
    conf,
    [
      '[server]', `allowed_roots = ${root}`,
      '[state]', `dir = ${join(root, 'no-state-dir')}`,
      '[backup]', `tmp_dir = ${root}`,
      '[client]', `protocol = ${protocol}`,
      '[log]', `server_log = ${join(root, 'served-server.log')}`, `tool_log = ${join(root, 'served-tool.log')}`, '',
    ].join('\n'),
    { mode: 0o600 },
  );
  await writeFile(zrmConf, `socket-remote-port=${port}\n`, { mode: 0o600 });
  return { ...process.env, NODE_OPTIONS: '', ZRM_INNOBACKUPEX_CONF: conf, ZRM_CONF: zrmConf };
}

/** Our bundle as the socket server, run by `node nodeFlags...`. */
export function bundleServer(nodeFlags: readonly string[], env: NodeJS.ProcessEnv): Command {
  return { file: process.execPath, args: [...nodeFlags, BUNDLE, 'socket-server'], env };
}

/** Our bundle as the copy plugin pulling `file` into `dest`, run by `node nodeFlags...`. */
export function bundleClient(nodeFlags: readonly string[], env: NodeJS.ProcessEnv, file: string, dest: string): Command {
  const argv = ['socket-copy', '--source-host', '127.0.0.1', '--source-file', file, '--destination-host', 'localhost', '--destination-directory', dest];
  return { file: process.execPath, args: [...nodeFlags, BUNDLE, ...argv], env };
}

/**
 * `server` started on the connection `client(port)` makes; the row's wall time is the client's
 * (from its start to its exit), its RSS and CPU each process's.
 */
export async function servedCopy(
  name: string,
  dest: string,
  tmp: string,
  bytes: number,
  server: (port: number) => Promise<Command>,
  client: (port: number) => Promise<Command>,
): Promise<Row> {
  await mkdir(dest);
  const { port, accepted, stop } = await listenForChild();
  const [serverCmd, clientCmd] = [await server(port), await client(port)];
  const serverRun = accepted.then(async (socket) => {
    try {
      // The child gets the connection's descriptor (dup'd by spawn); ours is closed right away.
      const running = runTool(serverCmd.file, serverCmd.args, join(tmp, 'served-server.time'), { env: serverCmd.env, stdin: socket, stdout: socket, stderr: 'pipe' });
      socket.destroy();
      return await running;
    } catch (err) {
      socket.destroy();
      throw err;
    }
  });
  const started = performance.now();
  let clientRun;
  try {
    clientRun = await runTool(clientCmd.file, clientCmd.args, join(tmp, 'served-client.time'), { env: clientCmd.env, stdin: 'ignore' });
  } catch (err) {
    // The server ends with the connection; wait for it so no process outlives the row.
    stop();
    await serverRun.catch(() => undefined);
    throw err;
  }
  const wallMs = performance.now() - started;
  const served = await serverRun;
  return {
    name,
    wallMs,
    bytes,
    rssKiB: Math.max(served.rssKiB ?? 0, clientRun.rssKiB ?? 0),
    rssParts: { server: served.rssKiB, client: clientRun.rssKiB },
    cpuParts: { server: served.cpuS ?? 0, client: clientRun.cpuS ?? 0 },
  };
}
