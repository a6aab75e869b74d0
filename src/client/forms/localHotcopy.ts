import { join } from 'node:path';
import { execa } from 'execa';
import type { CopyRequest } from '../args.js';
import type { CopyContext } from '../context.js';

type Hotcopy = Extract<CopyRequest, { form: 'mysqlhotcopy' }>;

/** mysqlhotcopy on this host, as the old plugin did; the password goes through the environment. */
export async function runLocalHotcopy(req: Hotcopy, ctx: CopyContext): Promise<number> {
  const bin = join(req.binpath || '/usr/bin', 'mysqlhotcopy');
  const args: string[] = [];
  for (const [k, v] of req.options) if (k !== 'password' && k !== 'host') args.push(`--${k}=${v}`);
  if (req.quiet) args.push('--quiet');
  args.push(...req.databases, req.destination);
  const password = req.options.get('password');
  const r = await (ctx.run ?? execa)(bin, args, {
    reject: false,
    stdin: 'ignore',
    env: password === undefined ? {} : { MYSQL_PWD: password },
  });
  if (r.stdout) ctx.stdout.write(`${r.stdout}\n`);
  if (r.stderr) ctx.stderr.write(`${r.stderr}\n`);
  return r.exitCode === 0 ? 0 : 1;
}
