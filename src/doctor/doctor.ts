import { checkListener, checkRemoteAgent } from './agent.js';
import { checkDirectories } from './dirs.js';
import { checkAccount } from './grants.js';
import { checkBackupTool } from './tool.js';
import type { CheckResult, DoctorDeps } from './types.js';
import { checkZrmSets } from './zrmSets.js';

// Which checks run: without --host, those of a database host (tool, account, listener,
// directories) and any ZRM sets here; with --host, those of a backup host (its ZRM sets, the
// database host's agent).

export interface DoctorRequest {
  host?: string | undefined;
  port?: number | undefined;
}

export async function runDoctor(req: DoctorRequest, deps: DoctorDeps): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  if (req.host === undefined) {
    results.push(await checkBackupTool(deps));
    results.push(...(await checkAccount(deps)));
    results.push(await checkListener(deps));
    results.push(...(await checkDirectories(deps)));
  } else {
    results.push(await checkRemoteAgent(deps, req.host, req.port ?? deps.config.server.port));
  }
  results.push(...(await checkZrmSets(deps)));
  return results;
}

const MARK = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

/** The table: one line a check, each failure followed by its fix. */
export function formatTable(results: readonly CheckResult[]): string {
  const width = Math.max(...results.map((r) => r.name.length), 5);
  let out = '';
  for (const r of results) {
    out += `${MARK[r.status]}  ${r.name.padEnd(width)}  ${r.detail}\n`;
    if (r.status === 'fail' && r.fix) out += `      ${''.padEnd(width)}  fix: ${r.fix}\n`;
  }
  const failed = results.filter((r) => r.status === 'fail').length;
  out += failed === 0 ? 'all checks passed\n' : `${failed} check(s) failed\n`;
  return out;
}
