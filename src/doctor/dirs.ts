import { dirname } from 'node:path';
import { fail, pass, type CheckResult, type DoctorDeps } from './types.js';

// The state and log directories belong to the user the socket server runs as (xinetd's `user`,
// systemd's `User=`): it must write them, and nobody else may read the armed credentials.

const XINETD_FILE = '/etc/xinetd.d/mysql-zrm-innobackupex';
const SYSTEMD_UNITS = ['/etc/systemd/system/mysql-zrm-innobackupex@.service', '/lib/systemd/system/mysql-zrm-innobackupex@.service', '/usr/lib/systemd/system/mysql-zrm-innobackupex@.service'];

/** The socket server's user from its xinetd or systemd unit; the package's default otherwise. */
async function serverUser(deps: DoctorDeps): Promise<string> {
  const xinetd = await deps.readFile(XINETD_FILE);
  const fromXinetd = /^\s*user\s*=\s*(\S+)/m.exec(xinetd ?? '')?.[1];
  if (fromXinetd) return fromXinetd;
  for (const unit of SYSTEMD_UNITS) {
    const user = /^\s*User\s*=\s*(\S+)/m.exec((await deps.readFile(unit)) ?? '')?.[1];
    if (user) return user;
  }
  return 'mysql';
}

async function checkStateDir(deps: DoctorDeps, user: string, uid: number): Promise<CheckResult> {
  const dir = deps.config.state.dir;
  const name = 'state directory';
  const st = await deps.stat(dir);
  const fix = `install -d -o ${user} -m 0700 ${dir}`;
  if (!st) return fail(name, `${dir} does not exist`, fix);
  if (!st.isDirectory) return fail(name, `${dir} is not a directory`, `remove it, then ${fix}`);
  if (st.uid !== uid) return fail(name, `${dir} is owned by uid ${st.uid}, not ${user} (${uid})`, `chown ${user} ${dir} && chmod 0700 ${dir}`);
  if ((st.mode & 0o077) !== 0) return fail(name, `${dir} has mode ${(st.mode & 0o777).toString(8)}: others may read armed credentials`, `chmod 0700 ${dir}`);
  return pass(name, `${dir} is ${user}'s, mode 700`);
}

async function checkLog(deps: DoctorDeps, what: string, file: string, user: string, uid: number): Promise<CheckResult> {
  const name = what;
  const st = await deps.stat(file);
  if (st) {
    if (st.uid !== uid) return fail(name, `${file} is owned by uid ${st.uid}, not ${user} (${uid}): the server cannot write it`, `chown ${user} ${file}`);
    return pass(name, `${file} is ${user}'s`);
  }
  const dir = await deps.stat(dirname(file));
  if (!dir) return fail(name, `${dirname(file)} does not exist`, `install -d -o ${user} ${dirname(file)}`);
  if (dir.uid !== uid && (dir.mode & 0o002) === 0) return fail(name, `${file} is missing and ${user} cannot create it in ${dirname(file)}`, `install -o ${user} -m 0640 /dev/null ${file}`);
  return pass(name, `${file} will be created by ${user}`);
}

export async function checkDirectories(deps: DoctorDeps): Promise<CheckResult[]> {
  const user = await serverUser(deps);
  const uid = await deps.uidOf(user);
  if (uid === undefined) return [fail('server user', `user '${user}' (the socket server's) does not exist`, `create it, or set the user in ${XINETD_FILE}`)];
  return [
    await checkStateDir(deps, user, uid),
    await checkLog(deps, 'server log', deps.config.log.serverLog, user, uid),
    await checkLog(deps, 'tool log', deps.config.log.toolLog, user, uid),
  ];
}
