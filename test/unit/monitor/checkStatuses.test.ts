import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { CHECK_STATUSES } from '../../../src/monitor/nagios.js';

// check's exit statuses are Nagios's (0-3), not errors.ts's: the man page lists them under the
// check command (EXIT STATUS keeps only errors.ts's table), word for word as in nagios.ts.
const root = new URL('../../../../', import.meta.url);

test("the man page's check entry lists exactly check's exit statuses", () => {
  const man = readFileSync(new URL('packaging/man/zrm-innobackupex.1', root), 'utf8');
  const start = man.indexOf('.TP\n.B check\n');
  assert.ok(start > 0, 'no check entry in COMMANDS');
  const section = man.slice(start, man.indexOf('.RE', start));
  const listed = [...section.matchAll(/^\.IP (\d+)\n(.+)$/gm)].map((m) => `${m[1]} ${(m[2] ?? '').replace(/\\-/g, '-')}`);
  assert.deepEqual(listed, CHECK_STATUSES.map((s) => `${s.code} ${s.meaning}`));
});

test("the README's Monitoring section lists exactly check's exit statuses", () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const start = readme.indexOf('## Monitoring');
  assert.ok(start > 0, 'no Monitoring section');
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
  const listed = [...section.matchAll(/^\| (\d+) \| (\w+) \| (.+) \|$/gm)].map((m) => `${m[1]} ${m[2]} ${m[3]}`);
  assert.deepEqual(listed, CHECK_STATUSES.map((s) => `${s.code} ${s.name} ${s.meaning}`));
});
