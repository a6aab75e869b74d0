import { ExitError } from '../errors.js';
import { isLocalHost, parseCopyArgs } from '../client/args.js';
import { checkAllowed } from '../fsutil/paths.js';

// `copy between` runs the copy plugin here with arguments a client chose: it may only read and
// write this host's allowed roots, and talk only to the hosts [server] copy_between_hosts names.

export class CopyBetweenRefused extends ExitError {}

function checkPeer(host: string, allowed: readonly string[], role: string): void {
  if (allowed.length === 0) {
    throw new CopyBetweenRefused(`copy between refused: no peer host is allowed ([server] copy_between_hosts is empty)`);
  }
  if (!allowed.some((h) => h.toLowerCase() === host.toLowerCase())) {
    throw new CopyBetweenRefused(`copy between refused: ${role} host '${host}' is not in [server] copy_between_hosts`);
  }
}

/** Throws unless every local path is inside the roots and every peer host is allowed. */
export async function checkCopyBetween(argv: readonly string[], roots: readonly string[], peers: readonly string[]): Promise<void> {
  const req = parseCopyArgs(argv);
  if (req.form !== 'copy') throw new CopyBetweenRefused(`copy between refused: only a plain copy may be asked for, not ${req.form}`);
  if (isLocalHost(req.sourceHost)) await checkAllowed(req.sourceFile, roots, 'copy between source file');
  else checkPeer(req.sourceHost ?? '', peers, 'source');
  if (isLocalHost(req.destinationHost)) await checkAllowed(req.destinationDirectory, roots, 'copy between destination directory');
  else checkPeer(req.destinationHost ?? '', peers, 'destination');
}
