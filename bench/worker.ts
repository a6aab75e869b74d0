// Entry of every measured Node process: `node worker.js <task> <json args>`. Runs one task and
// sends its result to the parent over execa's IPC channel; nothing is printed.
import { sendMessage } from 'execa';
import { e2eClientTask, e2eServerTask, type E2eClientArgs, type E2eServerArgs } from './e2eWorkers.js';
import { ownPeakRssKiB, type WorkerResult } from './measure.js';
import { wireTask, type WireArgs } from './wire.js';
import { xbstreamTask, type XbstreamArgs } from './xbstream.js';

const TASKS: Record<string, (args: never) => Promise<WorkerResult>> = {
  wire: (a: WireArgs) => wireTask(a),
  xbstream: (a: XbstreamArgs) => xbstreamTask(a),
  'e2e-server': (a: E2eServerArgs) => e2eServerTask(a),
  'e2e-client': (a: E2eClientArgs) => e2eClientTask(a),
  // What a Node process holds before any work: the floor under every Node row's RSS.
  idle: async () => ({ kind: 'result', wallMs: 0, bytes: 0, rssKiB: ownPeakRssKiB() }),
};

async function main(): Promise<void> {
  const [task = '', json = '{}'] = process.argv.slice(2);
  const run = TASKS[task];
  if (!run) throw new Error(`unknown bench task '${task}'`);
  const result = await run(JSON.parse(json) as never);
  await sendMessage(result);
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exitCode = 1;
});
