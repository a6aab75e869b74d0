import { constants } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { ExitCode, ExitError } from '../errors.js';
import type { Credentials } from './types.js';

/**
 * A value as the MySQL/MariaDB option-file parser reads it back unchanged: inside double
 * quotes `#` and `;` are not comments and leading/trailing spaces are kept; the parser turns
 * `\\` and `\"` back into `\` and `"`. A line break cannot be written at all (the parser reads
 * line by line), so it is refused rather than silently changing the password.
 */
export function quoteOptionValue(what: string, value: string): string {
  if (/[\r\n\0]/.test(value)) {
    throw new ExitError(`the ${what} contains a line break or NUL and cannot be written to an option file`, ExitCode.config);
  }
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

/** The text of the option file; `include` (a my.cnf) is read first, so our settings win. */
export function optionFileText(creds: Credentials, group = 'client', include?: string): string {
  if (!/^[A-Za-z0-9_-]+$/.test(group)) throw new ExitError(`bad option group '${group}'`, ExitCode.config);
  let text = '';
  if (include !== undefined) {
    if (!isAbsolute(include) || /[\r\n\0]/.test(include)) {
      throw new ExitError(`defaults file '${include}' must be an absolute path on one line`, ExitCode.config);
    }
    text += `!include ${include}\n`;
  }
  text += `[${group}]\nuser=${quoteOptionValue('user name', creds.user)}\npassword=${quoteOptionValue('password', creds.password)}\n`;
  return text;
}

/**
 * Writes the credentials to `<dir>/cnf-XXXXXX/credentials.cnf`: a fresh 0700 directory, the
 * file created with O_EXCL|O_NOFOLLOW and mode 0600 so nobody else can read it or plant it
 * first. Returns the file's path; the caller removes the directory.
 */
export async function writeOptionFile(dir: string, creds: Credentials, group = 'client', include?: string): Promise<string> {
  const text = optionFileText(creds, group, include);
  const privateDir = await mkdtemp(join(dir, 'cnf-'));
  const path = join(privateDir, 'credentials.cnf');
  const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
  const fh = await open(path, flags, 0o600);
  try {
    await fh.chmod(0o600);
    await fh.writeFile(text, 'utf8');
  } finally {
    await fh.close();
  }
  return path;
}
