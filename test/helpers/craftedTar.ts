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

/** One ustar header block for a regular file of `size` bytes (mode 644, owner 0), checksum set. */
export function tarFileHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  header.write(name, 0);
  header.write('0000644\0', 100);
  header.write('0000000\0', 108);
  header.write('0000000\0', 116);
  header.write(`${size.toString(8).padStart(11, '0')}\0`, 124);
  header.write('00000000000\0', 136);
  header.write('        ', 148);
  header.write('0', 156);
  header.write('ustar\0', 257);
  header.write('00', 263);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148);
  return header;
}
