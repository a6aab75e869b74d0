// Tars GNU tar will not make from a real tree (links out of it, hard links to absolute paths,
// members written through a link), built by test/fixtures/tar/make-tar.py with Python's tarfile.
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

const MAKE_TAR = fileURLToPath(new URL('../../../test/fixtures/tar/make-tar.py', import.meta.url));

export interface TarMember {
  name: string;
  type?: 'file' | 'dir' | 'symlink' | 'hardlink' | 'fifo' | 'chardev';
  data?: string;
  target?: string;
  /** Permission bits (setuid and setgid included); each type has a plain default. */
  mode?: number;
}

export async function craftTar(members: TarMember[]): Promise<Buffer> {
  const r = await execa('python3', [MAKE_TAR], { input: JSON.stringify(members), encoding: 'buffer' });
  return Buffer.from(r.stdout);
}
