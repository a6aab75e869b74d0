import { statSync } from 'node:fs';
import { writeOut } from '../commands/io.js';
import { ExitError, errorMessage } from '../errors.js';
import type { SnapshotArgs } from './args.js';
import type { SnapshotContext } from './runSnapshotPlugin.js';

// get-vm-device-details, most of the calls ZRM makes to the snapshot plugin: its own module, so
// such a call loads nothing of the state files' code (actions.ts).

/**
 * The mount point ZRM is told: the old plugin's value, exactly. It is only a label to ZRM (it
 * passes it back as --directory, which we ignore); our credentials live in the state directory.
 * Saying what ZRM always heard keeps whatever ZRM does with it (on either host) unchanged.
 */
const REPORTED_MOUNT_POINT = '/tmp/zrm-innosnap';

/** Pretends --directory is on a volume. A stat of one directory: not worth a thread-pool trip. */
export async function getVmDeviceDetails(args: SnapshotArgs, ctx: SnapshotContext): Promise<void> {
  const directory = args.options.get('directory') ?? '';
  let st;
  try {
    st = statSync(directory);
  } catch (err) {
    throw new ExitError(`cannot stat directory ${directory}: ${errorMessage(err)}`, undefined, { cause: err });
  }
  await writeOut(
    ctx,
    'device=/dev/null\n' +
      'snapshot-device=/dev/null\n' +
      'device-mount-point=null\n' +
      'filesystem-type=null\n' +
      `relative-copy-dir=;${st.mode};${st.uid};${st.gid}\n` +
      `snapshot-mount-point=${REPORTED_MOUNT_POINT}\n`,
  );
}
