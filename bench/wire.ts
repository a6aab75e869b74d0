// Wire framing over a loopback TCP pair, sender and receiver in one worker process: raw bytes
// (the baseline), 1.8b5 uuencoded frames, v2 raw frames with the SHA-256 trailer (hashed as the
// server and the copy plugin do: on a worker thread from 4 cores, in line below that; and always
// in line, to compare).
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { endWritable, waitForDrain, writeAll } from '../src/protocol/io.js';
import { LegacySender, readLegacyFrames } from '../src/protocol/legacyFrames.js';
import { StreamReader } from '../src/protocol/streamReader.js';
import { readV2Frames, V2Sender } from '../src/protocol/v2Frames.js';
import type { BenchConfig } from './config.js';
import { listenOnce } from './loopback.js';
import { dataChunks } from './data.js';
import { ownPeakRssKiB, runWorker, type WorkerResult } from './measure.js';
import type { Plan, Run } from './rounds.js';

export type WireMode = 'raw' | 'legacy' | 'v2' | 'v2-inline';

export interface WireArgs {
  mode: WireMode;
  bytes: number;
  writeBytes: number;
}

async function socketPair(): Promise<[Socket, Socket]> {
  const { port, accepted } = await listenOnce();
  const sender = connect(port, '127.0.0.1');
  await once(sender, 'connect');
  return [sender, await accepted];
}

async function send(mode: WireMode, out: Socket, args: WireArgs): Promise<void> {
  const chunks = dataChunks(args.bytes, args.writeBytes);
  if (mode === 'raw') {
    for (const chunk of chunks) await writeAll(out, chunk);
  } else if (mode === 'legacy') {
    const sender = new LegacySender(out);
    for (const chunk of chunks) await sender.write(chunk);
    await sender.end();
  } else {
    const sender = new V2Sender(out, { backgroundHash: mode === 'v2' });
    for (const chunk of chunks) if (!sender.send(chunk)) await waitForDrain(out);
    await sender.end({ ok: true, exitCode: 0, message: 'bench' });
  }
  await endWritable(out);
}

async function receive(mode: WireMode, input: Socket): Promise<number> {
  let total = 0;
  if (mode === 'raw') {
    for await (const chunk of input) total += (chunk as Buffer).length;
    return total;
  }
  const reader = new StreamReader(input);
  const frames = mode === 'legacy' ? readLegacyFrames(reader, { reuseBuffer: true }) : readV2Frames(reader, { backgroundHash: mode === 'v2' });
  for await (const payload of frames) total += payload.length;
  return total;
}

/** Worker side: one mode, timed from the first write to the last byte received. */
export async function wireTask(args: WireArgs): Promise<WorkerResult> {
  const [a, b] = await socketPair();
  const started = performance.now();
  const cpuBefore = process.cpuUsage();
  const [, received] = await Promise.all([send(args.mode, a, args), receive(args.mode, b)]);
  const cpu = process.cpuUsage(cpuBefore);
  const wallMs = performance.now() - started;
  a.destroy();
  b.destroy();
  if (received !== args.bytes) throw new Error(`${args.mode}: received ${received} of ${args.bytes} bytes`);
  // CPU of the transfer alone (both ends, every thread): what to compare on a busy machine.
  return { kind: 'result', wallMs, bytes: received, rssKiB: ownPeakRssKiB(), cpuS: (cpu.user + cpu.system) / 1e6 };
}

function run(name: string, args: WireArgs): Run {
  return {
    name,
    run: async () => {
      const r = await runWorker('wire', args);
      return { name, wallMs: r.wallMs, bytes: r.bytes, rssKiB: r.rssKiB, cpuParts: { transfer: r.cpuS ?? 0 } };
    },
  };
}

/** Parent side: the raw baseline and each framing, each run in a fresh worker. */
export function wirePlan(cfg: BenchConfig): Plan {
  const args = { bytes: cfg.bytes, writeBytes: cfg.writeBytes };
  return {
    group: 'wire',
    what: `framing over loopback TCP, sender + receiver in one process, ${cfg.writeBytes / 1024} KiB writes`,
    runs: [
      run('raw bytes, no framing', { ...args, mode: 'raw' }),
      run('1.8b5 uuencoded frames', { ...args, mode: 'legacy' }),
      run('v2 frames + SHA-256 trailer', { ...args, mode: 'v2' }),
      run('v2, SHA-256 on the event loop', { ...args, mode: 'v2-inline' }),
    ],
    cleanup: async () => undefined,
  };
}
