import { stat } from 'node:fs/promises';
import { Socket } from 'node:net';
import { ExitError, errorMessage } from '../../errors.js';
import { armSilenceDeadline } from '../../net/silenceDeadline.js';
import { checkAllowed } from '../../fsutil/paths.js';
import { readLegacyFrames } from '../../protocol/legacyFrames.js';
import { readV2Frames } from '../../protocol/v2Frames.js';
import { receiveIntoDir } from '../../transfer/receiveIntoDir.js';
import type { Outcome, Session } from '../context.js';
import { sendStatus, sendV2Error, sendV2Greeting } from '../reply.js';
import { tellLegacyUploadFailed } from '../legacySend.js';

/** `copy to`: the client uploads a tar stream into a directory of this host. */
export async function copyTo(s: Session): Promise<Outcome> {
  let dest: string;
  try {
    dest = await checkAllowed(s.header.params, s.deps.config.server.allowedRoots, 'destination directory');
    if (!(await stat(dest)).isDirectory()) throw new Error(`'${dest}' is not a directory`);
  } catch (err) {
    const message = `copy to refused: ${errorMessage(err)}`;
    s.deps.logger.error(message);
    await sendV2Error(s, message);
    return { ok: false, detail: message };
  }
  await sendV2Greeting(s, 'ready');
  // A client that goes silent mid-upload must not hold an xinetd instance for idle_timeout.
  if (s.output instanceof Socket) {
    const seconds = s.deps.config.server.stallTimeout;
    armSilenceDeadline(s.output, seconds, () => new ExitError(`the client stopped sending: no data from ${s.deps.peer} for ${seconds} s mid-upload ([server] stall_timeout)`));
    // Once all of it is in, only tar's last writes are left: nothing more to wait for from the client.
    const socket = s.output;
    socket.once('end', () => socket.setTimeout(0));
  }
  try {
    const frames = s.protocol === 'v2' ? readV2Frames(s.reader) : readLegacyFrames(s.reader, { reuseBuffer: true });
    const r = await receiveIntoDir(frames, 'tar', dest, { allowEmpty: s.protocol === 'legacy', requireTarEnd: s.protocol === 'legacy' });
    s.bytes = r.bytes;
    if (s.protocol === 'v2') await sendStatus(s, true, [`received ${r.bytes} bytes into ${dest}`]);
    return { ok: true, detail: `into ${dest}` };
  } catch (err) {
    const message = `copy to ${dest} failed: ${errorMessage(err)}`;
    s.deps.logger.error(message);
    if (s.protocol === 'v2') await sendStatus(s, false, [message]).catch(() => undefined);
    await tellLegacyUploadFailed(s, message);
    return { ok: false, detail: message };
  }
}
