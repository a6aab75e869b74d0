// Files that hold a secret (the shared secret, a TLS key): readable by their owner only, and
// owned by whoever runs us or by root. Checked on the open file, so a swap after the check
// changes nothing.
import { open } from 'node:fs/promises';
import { ExitCode, ExitError, errorMessage } from '../errors.js';

export async function readPrivateFile(path: string, what: string): Promise<Buffer> {
  let handle;
  try {
    handle = await open(path, 'r');
  } catch (err) {
    throw new ExitError(`${what} ${path}: ${errorMessage(err)}`, ExitCode.config, { cause: err });
  }
  try {
    const st = await handle.stat();
    if (!st.isFile()) throw new ExitError(`${what} ${path} is not a regular file`, ExitCode.config);
    if ((st.mode & 0o077) !== 0) {
      throw new ExitError(`${what} ${path} has mode ${(st.mode & 0o777).toString(8)}: it must be 600 (readable by its owner only)`, ExitCode.config);
    }
    const euid = process.geteuid?.() ?? 0;
    // root reads any file anyway; anyone else trusts only their own files and root's.
    if (euid !== 0 && st.uid !== euid && st.uid !== 0) {
      throw new ExitError(`${what} ${path} is owned by uid ${st.uid}: it must belong to uid ${euid} (who runs this) or to root`, ExitCode.config);
    }
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** The shared secret: the file's bytes without trailing white space, at least 16 of them. */
export async function loadSecret(path: string): Promise<Buffer> {
  const raw = await readPrivateFile(path, '[auth] secret_file');
  let end = raw.length;
  while (end > 0 && [0x0a, 0x0d, 0x20, 0x09].includes(raw[end - 1] as number)) end--;
  if (end < 16) throw new ExitError(`[auth] secret_file ${path} holds ${end} bytes: at least 16 are needed (e.g. openssl rand -hex 32)`, ExitCode.config);
  return raw.subarray(0, end);
}
