import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { EXIT_STATUSES, ExitCode } from '../../../src/errors.js';

// The man page and the README promise exit statuses; errors.ts is the one table of them.
const root = new URL('../../../../', import.meta.url);
const table = EXIT_STATUSES.map((s) => `${s.code} ${s.meaning}`);

test('the man page lists exactly the exit statuses of errors.ts, with their meanings', () => {
  const man = readFileSync(new URL('packaging/man/zrm-innobackupex.1', root), 'utf8');
  const section = man.slice(man.indexOf('.SH EXIT STATUS'), man.indexOf('.SH', man.indexOf('.SH EXIT STATUS') + 1));
  const listed = [...section.matchAll(/^\.TP\n\.B (\d+)\n(.+)$/gm)].map((m) => `${m[1]} ${(m[2] ?? '').replace(/\\-/g, '-')}`);
  assert.deepEqual(listed, table);
});

test('the README lists exactly the exit statuses of errors.ts, with their meanings', () => {
  const readme = readFileSync(new URL('README.md', root), 'utf8');
  const section = readme.slice(readme.indexOf('## Exit status'), readme.indexOf('\n## ', readme.indexOf('## Exit status') + 1));
  const listed = [...section.matchAll(/^\| (\d+) \| (.+) \|$/gm)].map((m) => `${m[1]} ${m[2]}`);
  assert.deepEqual(listed, table);
});

test('codes are distinct and ExitCode names each of them', () => {
  assert.equal(new Set(EXIT_STATUSES.map((s) => s.code)).size, EXIT_STATUSES.length);
  for (const s of EXIT_STATUSES) assert.equal(ExitCode[s.name], s.code);
});
