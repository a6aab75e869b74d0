import { readPrivateFile } from '../auth/privateFile.js';
import type { Credentials } from '../backupTool/types.js';
import { ExitCode, ExitError } from '../errors.js';

// The database account a direct backup arms the database host with, read on the backup host from
// a MySQL option file (a `--defaults-extra-file`): never from the command line, where any local
// user could read it in /proc. The file must be private (600, ours or root's), like the secret.

/** Groups read, in order; a later group's value wins, as the tools read them. */
const GROUPS = ['client', 'mysql', 'mariadb-client', 'xtrabackup', 'mariabackup'];

/** An option value as the option-file parser reads it: quotes removed, \\ escapes undone. */
function unquote(raw: string): string {
  const v = raw.trim();
  const q = v[0];
  if ((q === '"' || q === "'") && v.length >= 2) {
    const end = v.lastIndexOf(q);
    const inner = v.slice(1, end > 0 ? end : undefined);
    return inner.replace(/\\(.)/g, (_m, c: string) => ({ n: '\n', t: '\t', r: '\r', b: '\b', s: ' ' })[c] ?? c);
  }
  // Unquoted: a ` #` starts a comment.
  return v.replace(/\s+#.*$/, '').trim();
}

/** user and password from the text of an option file (no `!include`: one file, checked whole). */
export function credentialsFromOptionText(text: string): Partial<Credentials> {
  const found: Partial<Credentials> = {};
  let inGroup = false;
  for (const raw of text.split('\n')) {
    const line = raw.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#') || line.startsWith(';')) continue;
    const group = /^\[([^\]]+)\]$/.exec(line);
    if (group?.[1]) {
      inGroup = GROUPS.includes(group[1].trim().toLowerCase());
      continue;
    }
    if (!inGroup) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    const name = line.slice(0, eq).trim().replace(/_/g, '-').toLowerCase();
    if (name === 'user') found.user = unquote(line.slice(eq + 1));
    else if (name === 'password') found.password = unquote(line.slice(eq + 1));
  }
  return found;
}

/** Reads and checks the option file; the account it names, or a clear error. */
export async function loadCredentials(path: string, what: string): Promise<Credentials> {
  const text = (await readPrivateFile(path, what)).toString('utf8');
  const found = credentialsFromOptionText(text);
  if (!found.user) {
    throw new ExitError(`${what} ${path} names no user in [${GROUPS.join('], [')}]`, ExitCode.config);
  }
  return { user: found.user, password: found.password ?? '' };
}
