import { statSync } from 'node:fs';
import { join } from 'node:path';
import { errorMessage } from '../errors.js';
import type { Logger } from '../logging/logger.js';
import { readPrivateLines, writePrivateLines } from '../snapshot/privateFile.js';
import { ensureStateDir } from '../snapshot/stateDir.js';
import type { Remote } from './context.js';
import { V21_VERSION, V2_FAMILY, V2_VERSION } from '../protocol/versions.js';

// What each server (host:port) spoke last, kept in the client's state directory. A server that
// once answered in v2 is never again taken for a 1.8b5 one because it hung up (xinetd full,
// restarting); a known 1.8b5 server is spoken to in 1.8b5 at once, without two refused v2
// connections first. A 1.8b5 verdict is checked again after a while: servers get upgraded.
// 'v2.1' / 'v2.0': a v2 server that hung up on the next newer version (docs/DESIGN.md, "Protocol
// 2.1" and "2.2"): asked in that version at once, and in newer ones again after the same while;
// still never taken for a 1.8b5 one.

export type Spoken = 'v2' | 'v2.1' | 'v2.0' | 'legacy';

/** The newest version worth asking a server remembered as `known` (null: never heard of). */
export function newestFor(known: Spoken | null): string {
  if (known === 'v2.0') return V2_VERSION;
  if (known === 'v2.1') return V21_VERSION;
  return V2_FAMILY[0] ?? V2_VERSION;
}

/** What to remember of a server that answered `version` after refusing a newer one. */
export function spokenFor(version: string): Spoken {
  return version === V2_VERSION ? 'v2.0' : version === V21_VERSION ? 'v2.1' : 'v2';
}

/** How long "this server speaks only 1.8b5" is believed before v2 is tried again. */
const LEGACY_MEMORY_SECONDS = 3600;

export interface PeerMemory {
  recall(remote: Remote): Promise<Spoken | null>;
  remember(remote: Remote, spoken: Spoken): Promise<void>;
}

function fileName(remote: Remote): string {
  return `peer-${remote.host.replace(/[^A-Za-z0-9.:-]/g, '_')}-${remote.port}`;
}

export function peerMemoryIn(dir: string, logger: Logger, now: () => Date = () => new Date()): PeerMemory {
  return {
    async recall(remote) {
      try {
        const lines = await readPrivateLines(dir, fileName(remote));
        const [spoken, epoch] = lines ?? [];
        if (spoken === 'v2') return 'v2';
        const age = now().getTime() / 1000 - Number(epoch);
        const fresh = age >= 0 && age < LEGACY_MEMORY_SECONDS;
        if (spoken === 'v2.0' || spoken === 'v2.1') return fresh ? spoken : 'v2';
        if (spoken === 'legacy' && fresh) return 'legacy';
        return null;
      } catch (err) {
        logger.warn(`cannot read what ${remote.host}:${remote.port} speaks from ${dir}: ${errorMessage(err)}`);
        return null;
      }
    },
    async remember(remote, spoken) {
      try {
        await ensureStateDir(dir, logger);
        await writePrivateLines(dir, fileName(remote), [spoken, String(Math.floor(now().getTime() / 1000))]);
      } catch (err) {
        logger.warn(`cannot record that ${remote.host}:${remote.port} speaks ${spoken} in ${dir}: ${errorMessage(err)}`);
      }
    },
  };
}

/**
 * Where the copy plugin keeps its memory: the configured state directory when it already exists
 * and is ours (never created here: on a host that is also a database host, the server, running
 * as another user, may need to create it), else a private directory of this user in /tmp.
 */
export function peerMemoryDir(stateDir: string, stateDirConfigured: boolean, uid: number = process.geteuid?.() ?? 0): string {
  try {
    const st = statSync(stateDir);
    if (st.isDirectory() && st.uid === uid) return stateDir;
  } catch {
    // absent: see below
  }
  return stateDirConfigured ? stateDir : join('/tmp', `zrm-innobackupex-client-${uid}`);
}

/** No memory (tests, or no usable state directory): every call finds out afresh. */
export const NO_MEMORY: PeerMemory = { recall: async () => null, remember: async () => undefined };
