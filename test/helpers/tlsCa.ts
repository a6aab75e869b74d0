import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';

// A small CA made with openssl for one test: a CA, and certificates it signs (EC P-256, keys
// mode 600), the way an operator or the Ansible role would make them.
export interface Issued {
  cert: string;
  key: string;
}

export interface TestCa {
  ca: string;
  issue(name: string, opts?: { san?: string; usage?: 'server' | 'client' | 'both' }): Promise<Issued>;
}

async function openssl(args: string[]): Promise<void> {
  await execa('openssl', args, { stdin: 'ignore' });
}

export async function makeTestCa(dir: string, name = 'test-ca'): Promise<TestCa> {
  await mkdir(dir, { recursive: true });
  const caKey = join(dir, `${name}.key`);
  const ca = join(dir, `${name}.crt`);
  await openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', caKey, '-out', ca, '-days', '2', '-subj', `/CN=${name}`]);
  let serial = 0;
  return {
    ca,
    async issue(cn, opts = {}) {
      const key = join(dir, `${cn}.key`);
      const csr = join(dir, `${cn}.csr`);
      const cert = join(dir, `${cn}.crt`);
      const ext = join(dir, `${cn}.ext`);
      const usage = { server: 'serverAuth', client: 'clientAuth', both: 'serverAuth,clientAuth' }[opts.usage ?? 'both'];
      await writeFile(ext, `subjectAltName=${opts.san ?? 'IP:127.0.0.1,DNS:localhost'}\nextendedKeyUsage=${usage}\n`);
      await openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
      await openssl(['x509', '-req', '-in', csr, '-CA', ca, '-CAkey', caKey, '-set_serial', String(++serial + 1000), '-out', cert, '-days', '2', '-extfile', ext]);
      await chmod(key, 0o600);
      return { cert, key };
    },
  };
}
