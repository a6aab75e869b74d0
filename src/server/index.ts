import { withAdmission, type RequestGate } from '../auth/serverGate.js';
import { errorMessage } from '../errors.js';
import { writeAll } from '../protocol/io.js';
import { formatStatusBlock } from '../protocol/statusBlock.js';
import { StreamReader } from '../protocol/streamReader.js';
import type { Outcome, ServerDeps, ServerIo, Session, WireProtocol } from './context.js';
import { sendV2Error, sendV2Greeting } from './reply.js';
import { acceptedVersions, readRequestHeader, VersionRefused } from './header.js';
import { startHeaderDeadline, type HeaderDeadline } from './headerDeadline.js';
import { copyBetween } from './actions/copyBetween.js';
import { copyFrom } from './actions/copyFrom.js';
import { copyTo } from './actions/copyTo.js';
import { createLink } from './actions/createLink.js';
import { mysqlhotcopy } from './actions/mysqlhotcopy.js';
import { removeBackupData } from './actions/removeBackupData.js';
import { snapshot } from './actions/snapshot.js';
import { agentStatus } from './actions/agentStatus.js';
import { sweepStaleScratch } from '../backupTool/scratch.js';
import { recordRequest } from '../monitor/recorders.js';

// Actions that answer with a status block: a v2 client is told 'OK' before it sends the rest.
const STATUS_ACTIONS = new Set(['copy between', 'create-link', 'remove-backup-data', 'snapshot', 'status']);
// Actions whose request goes on after the header with lines of their own; each calls
// session.requestRead() once it has them all.
const EXTRA_LINE_ACTIONS = new Set(['copy between', 'create-link', 'snapshot']);

const ACTIONS: Record<string, (s: Session) => Promise<Outcome>> = {
  'copy from': copyFrom,
  'copy to': copyTo,
  'copy between': copyBetween,
  'create-link': createLink,
  'remove-backup-data': removeBackupData,
  snapshot,
  mysqlhotcopy,
  status: agentStatus,
};

/**
 * Serves one request on `io` (under xinetd: the socket on fds 0/1) and resolves to the exit
 * status. Nothing is written to `io.output` but protocol; every outcome goes to the log.
 */
export async function runServer(io: ServerIo, deps: ServerDeps): Promise<number> {
  // Armed on the raw connection, so it covers the hello and authentication too: a client that
  // drips its first line must not hold an xinetd instance either.
  const headerDeadline = startHeaderDeadline(io.input, deps.config.server.headerTimeout);
  try {
    return await withAdmission(io, deps, headerDeadline, (gate) => serveRequest(gate.io, deps, gate, headerDeadline));
  } finally {
    headerDeadline.stop();
  }
}

async function serveRequest(io: ServerIo, deps: ServerDeps, gate: RequestGate, headerDeadline: HeaderDeadline): Promise<number> {
  const started = Date.now();
  const { logger } = deps;
  const reader = new StreamReader(io.input);
  let session: Session | undefined;
  let protocol: WireProtocol | undefined;
  // Set while the client waits for a status block that the action has not sent yet.
  let statusOwed = false;
  let outcome: Outcome;
  await sweepStaleScratch(deps.config.backup.tmpDir, logger);
  try {
    const header = await readRequestHeader(reader, acceptedVersions(deps.config.server.acceptLegacy, deps.config.server.maxV2Version), (p) => {
      protocol = p;
    });
    const wire = protocol ?? 'legacy';
    session = { header, protocol: wire, reader, output: io.output, deps, bytes: 0, requestRead: headerDeadline.stop };
    await gate.checkHeader(reader, header, wire);
    logger.debug(`request ${JSON.stringify({ ...header })} from ${deps.peer}`);
    if (!EXTRA_LINE_ACTIONS.has(header.action)) headerDeadline.stop();
    const action = ACTIONS[header.action];
    if (!action) {
      await sendV2Error({ protocol, output: io.output }, `unknown action '${header.action}'`);
      outcome = { ok: false, detail: `unknown action '${header.action}'` };
    } else {
      if (STATUS_ACTIONS.has(header.action)) {
        await sendV2Greeting(session, '');
        // 1.8b5 gave remove-backup-data no reply at all.
        statusOwed = wire === 'v2' || header.action !== 'remove-backup-data';
      }
      outcome = await action(session);
    }
  } catch (err) {
    const refusedVersion = err instanceof VersionRefused;
    const message = headerDeadline.expired() ? headerDeadline.message() : errorMessage(err);
    outcome = { ok: false, detail: `${refusedVersion ? 'refused' : 'failed'}: ${message}` };
    if (statusOwed) {
      // The client reads a status block here: say why in one, not in a line it cannot parse.
      await writeAll(io.output, formatStatusBlock(false, [message])).catch(() => undefined);
    } else if (!refusedVersion) {
      // Known from the version line on: a v2 client is told why its header was refused too.
      // Best effort: the client may already be gone.
      await sendV2Error({ protocol, output: io.output }, message).catch(() => undefined);
    }
  } finally {
    headerDeadline.stop();
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  const line =
    `peer=${deps.peer} version=${session?.header.version ?? '?'} action='${session?.header.action ?? '?'}' ` +
    `params='${session?.header.params ?? ''}' bytes=${session?.bytes ?? 0} seconds=${seconds} ` +
    `outcome=${outcome.ok ? 'OK' : 'FAILED'} ${outcome.detail}`;
  if (outcome.ok) logger.info(line);
  else logger.error(line);
  await recordRequest({ startedAt: started, config: deps.config, logger, peer: deps.peer, header: session?.header, bytes: session?.bytes ?? 0, outcome });
  return outcome.ok ? 0 : 1;
}
