// Side by side with the 1.8b5 Perl pair: `copy from` of one file between the Perl stand-ins of
// the original socket server and copy plugin (test/fixtures/legacy: written from the protocol,
// pack("u*") and unpack("u*") in Perl's C, a tar at each end), ours in its place on one end or
// both, and our pair in v2. The original's own tar branch cannot be run: on a current GNU tar it
// sends nothing (PROTOCOL.md), so the stand-ins are the baseline a DBA's old pair would be.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ClientProtocol } from '../src/config/appConfig.js';
import type { BenchConfig } from './config.js';
import { writeDataFile } from './data.js';
import { checkedRun } from './e2e.js';
import { hasGnuTime } from './measure.js';
import type { Row } from './report.js';
import type { Plan } from './rounds.js';
import { bundleClient, bundleEnv, bundleServer, type Command, servedCopy } from './servedCopy.js';
import { launcherNodeFlags } from './startup.js';

const LEGACY = fileURLToPath(new URL('../../test/fixtures/legacy/', import.meta.url));

type End = 'perl' | 'ours';

export async function perlPairPlan(cfg: BenchConfig, tmp: string): Promise<Plan> {
  if (!hasGnuTime) throw new Error('pair: the processes are measured with GNU time (/usr/bin/time, Debian package time)');
  const srcDir = join(tmp, 'pair-src');
  await mkdir(srcDir);
  const file = join(srcDir, 'pair.dat');
  const sha256 = await writeDataFile(file, cfg.bytes);
  const flags = launcherNodeFlags();
  // The stand-in server serves a hot backup only when its snapshot plugin armed one there.
  const perlEnv = { ...process.env, OLD_SNAP_DIR: join(tmp, 'pair-not-armed') };
  let n = 0;
  const copy = (name: string, server: End, client: End, protocol: ClientProtocol = 'legacy') => {
    const dest = join(tmp, `pair-dest-${n++}`);
    const serverCmd = async (port: number): Promise<Command> =>
      server === 'perl' ? { file: 'perl', args: [join(LEGACY, 'old-server.pl')], env: perlEnv } : bundleServer(flags, await bundleEnv(tmp, protocol, port));
    const clientCmd = async (port: number): Promise<Command> =>
      client === 'perl'
        ? { file: 'perl', args: [join(LEGACY, 'old-copy-from.pl'), '127.0.0.1', String(port), file, dest], env: perlEnv }
        : bundleClient(flags, await bundleEnv(tmp, protocol, port), file, dest);
    return checkedRun(name, dest, file, sha256, (): Promise<Row> => servedCopy(name, dest, tmp, cfg.bytes, serverCmd, clientCmd));
  };
  return {
    group: 'pair',
    what: `copy from of one ${(cfg.bytes / 1024 / 1024).toFixed(0)} MiB file over loopback, side by side with the 1.8b5 Perl pair (stand-ins in test/fixtures/legacy); each end as xinetd and ZRM start it`,
    runs: [
      copy('1.8b5 Perl server -> Perl client', 'perl', 'perl'),
      copy('1.8b5 our server -> our client', 'ours', 'ours'),
      copy('1.8b5 our server -> Perl client', 'ours', 'perl'),
      copy('1.8b5 Perl server -> our client', 'perl', 'ours'),
      copy('v2 our server -> our client', 'ours', 'ours', 'v2'),
    ],
    cleanup: () => rm(srcDir, { recursive: true, force: true }),
  };
}
