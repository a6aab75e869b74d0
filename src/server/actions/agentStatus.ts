import { VERSION } from '../../version.js';
import type { Outcome, Session } from '../context.js';
import { acceptedVersions } from '../header.js';
import { sendStatus } from '../reply.js';

// `status` (v2 only): who answers on this port, for `zrm-innobackupex doctor --host DB`. Says
// the version and the protocols, nothing about the database or its account. A 1.8b5 client
// cannot ask it (unknown action: hung up on, as the old server did).
export async function agentStatus(s: Session): Promise<Outcome> {
  if (s.protocol !== 'v2') return { ok: false, detail: "'status' is a v2 action" };
  const config = s.deps.config;
  const protocols = acceptedVersions(config.server.acceptLegacy, config.server.maxV2Version);
  await sendStatus(s, true, [`version=${VERSION}`, `protocols=${protocols.join(',')}`, `tool=${config.backup.tool}`]);
  return { ok: true, detail: 'status' };
}
