import { Worker } from 'node:worker_threads';

// [server] request_timeout: one connection may last this long, whatever it does. A timer on the
// main thread cannot enforce it (a CPU-bound loop never lets it run), so the timer lives in a
// worker thread with its own event loop. When it fires, the worker notes it in the server log,
// kills the server's child processes (tar, the backup tool, a snapshot plugin) and then the
// server itself. The client sees the connection close without a trailer: a failed copy.

const WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const fs = require('node:fs');

function childrenOf(pid) {
  const out = [];
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync('/proc/' + name + '/stat', 'utf8');
      // "pid (comm) state ppid ...": comm may hold spaces and parentheses.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {}
  }
  return out;
}

function descendantsOf(pid) {
  const all = [];
  const queue = [pid];
  while (queue.length > 0) {
    for (const child of childrenOf(queue.shift())) {
      all.push(child);
      queue.push(child);
    }
  }
  return all;
}

setTimeout(() => {
  const { pid, seconds, logFile } = workerData;
  const line = new Date().toISOString() + ' socket-server[' + pid + '] error: request_timeout (' + seconds +
    's) reached: killing the request and its child processes\\n';
  try { fs.appendFileSync(logFile, line); } catch {}
  for (const child of descendantsOf(pid)) {
    try { process.kill(child, 'SIGKILL'); } catch {}
  }
  process.kill(pid, 'SIGKILL');
}, workerData.seconds * 1000);
`;

export interface Watchdog {
  stop: () => Promise<void>;
}

export function startRequestWatchdog(seconds: number, logFile: string): Watchdog {
  const worker = new Worker(WORKER_SOURCE, {
    eval: true,
    workerData: { pid: process.pid, seconds, logFile },
    stdout: true,
    stderr: true,
    resourceLimits: { maxOldGenerationSizeMb: 16, maxYoungGenerationSizeMb: 2 },
  });
  // Never keeps the process alive, never writes to fds 0-2 (the client's socket).
  worker.unref();
  worker.on('error', () => undefined);
  return {
    stop: async () => {
      await worker.terminate().catch(() => undefined);
    },
  };
}
