// `[backup] credentials_file`: the database account comes from a defaults file on the database
// host, never from the client. The user and password ZRM forwards (snapshot `mount`, or
// mysqlhotcopy's --user/--password) are then ignored; the tool's option file only includes
// this file.
import { constants } from 'node:fs';
import { mkdtemp, open } from 'node:fs/promises';
import { join } from 'node:path';
import { readPrivateFile } from '../auth/privateFile.js';
import type { AppConfig } from '../config/appConfig.js';
import { ExitCode, ExitError } from '../errors.js';
import { writeOptionFile } from './optionFile.js';
import type { Credentials } from './types.js';

/** The option file of one run: the forwarded credentials, or an include of credentials_file. */
export async function writeRunOptionFile(workDir: string, creds: Credentials, backup: AppConfig['backup']): Promise<string> {
  if (backup.credentialsFile === '') return writeOptionFile(workDir, creds, 'client', backup.defaultsFile || undefined);
  // Holds a password: private to its owner (the socket server's user) or root, like the secret.
  await readPrivateFile(backup.credentialsFile, '[backup] credentials_file');
  if (/[\r\n\0]/.test(backup.credentialsFile)) throw new ExitError('[backup] credentials_file must be a path on one line', ExitCode.config);
  // The configured my.cnf first, then the credentials, which win (later options override).
  const text = `${backup.defaultsFile ? `!include ${backup.defaultsFile}\n` : ''}!include ${backup.credentialsFile}\n`;
  const privateDir = await mkdtemp(join(workDir, 'cnf-'));
  const path = join(privateDir, 'credentials.cnf');
  const fh = await open(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    await fh.writeFile(text, 'utf8');
  } finally {
    await fh.close();
  }
  return path;
}
