import { VERSION } from '../version.js';
import { fail, pass, type AgentReply, type CheckResult, type DoctorDeps } from './types.js';

// Does our socket server answer on a port (this host's, or the database host's from the backup
// host), and is it the same version as this one?

const majorMinor = (v: string | undefined): string | undefined => /^(\d+\.\d+)/.exec(v ?? '')?.[1];

const SERVE_FIX =
  'enable the listener: xinetd (/etc/xinetd.d/mysql-zrm-innobackupex, disable = no; systemctl reload xinetd) ' +
  'or systemd (systemctl enable --now mysql-zrm-innobackupex.socket), and check [server] port';

async function ask(deps: DoctorDeps, host: string, port: number): Promise<AgentReply | string> {
  try {
    return await deps.askAgent(host, port);
  } catch (err) {
    return (err as Error).message;
  }
}

/** This host's listener: something of ours answers on [server] port. */
export async function checkListener(deps: DoctorDeps): Promise<CheckResult> {
  const name = 'socket server';
  const port = deps.config.server.port;
  const r = await ask(deps, '127.0.0.1', port);
  if (typeof r === 'string') return fail(name, `nothing answers on port ${port}: ${r}`, SERVE_FIX);
  if (r.kind === 'legacy') return fail(name, `port ${port} hangs up on a v2 request: the 1.8b5 Perl server, or another program`, `point the listener at this package's socket-server.palomino.pl; ${SERVE_FIX}`);
  const version = r.kind === 'status' ? r.values.get('version') : 'older than 2.1';
  return pass(name, `zrm-innobackupex ${version ?? '?'} answers on port ${port}`);
}

/** From the backup host: the database host's agent answers, and runs our version. */
export async function checkRemoteAgent(deps: DoctorDeps, host: string, port: number): Promise<CheckResult> {
  const name = `agent on ${host}:${port}`;
  const r = await ask(deps, host, port);
  if (typeof r === 'string') {
    return fail(name, `cannot reach it: ${r}`, `on ${host}: zrm-innobackupex doctor; check its [server] allowed_clients and firewall for this host, and the port ([server] port / socket-remote-port)`);
  }
  if (r.kind === 'legacy') return fail(name, 'it speaks only 1.8b5 (the old Perl plugins): no failure reporting', `install mysql-zrm-innobackupex ${VERSION} on ${host}`);
  if (r.kind === 'old-v2') return fail(name, `it runs an older zrm-innobackupex (${r.message ?? 'no status action'})`, `install mysql-zrm-innobackupex ${VERSION} on ${host}`);
  const theirs = r.values.get('version');
  if (majorMinor(theirs) !== majorMinor(VERSION)) {
    return fail(name, `it runs zrm-innobackupex ${theirs ?? '?'}, this host ${VERSION}`, `install the same version on both hosts (${VERSION})`);
  }
  return pass(name, `zrm-innobackupex ${theirs ?? '?'} (${r.values.get('protocols') ?? ''}), backup tool ${r.values.get('tool') ?? '?'}`);
}
