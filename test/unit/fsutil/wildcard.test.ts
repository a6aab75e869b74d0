import { test } from 'node:test';
import assert from 'node:assert/strict';
import { wildcardMatch } from '../../../src/fsutil/wildcard.js';

test('wildcardMatch: * and ? as the old server expanded them, everything else literal', () => {
  const cases: Array<[string, string, boolean]> = [
    ['mysql-bin.0*', 'mysql-bin.000001', true],
    ['mysql-bin.0*', 'mysql-bin.index', false],
    ['*', '', true],
    ['*', 'anything', true],
    ['', '', true],
    ['', 'a', false],
    ['a?c', 'abc', true],
    ['a?c', 'ac', false],
    ['*.ibd', 't.ibd', true],
    ['*.ibd', 't.ibdx', false],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'aXXbYY', false],
    ['[ab]', '[ab]', true],
    ['[ab]', 'a', false],
    ['a.b', 'axb', false],
    ['(x)+', '(x)+', true],
    ['**', 'x', true],
    ['*x*', 'abxcd', true],
    ['*?', '', false],
  ];
  for (const [pattern, name, want] of cases) assert.equal(wildcardMatch(pattern, name), want, `${pattern} vs ${name}`);
});

test('wildcardMatch: the pattern that made the RegExp backtrack for ever is answered at once', () => {
  // 200 'a's against 14 '*a' then '*b': a backtracking RegExp tries ~200^14 ways to fail.
  const name = 'a'.repeat(200);
  assert.equal(wildcardMatch(`${'*a'.repeat(14)}*b`, name), false);
  assert.equal(wildcardMatch(`${'*a'.repeat(14)}*`, name), true);
  assert.equal(wildcardMatch(`${'*a'.repeat(30)}*b`, 'a'.repeat(4000)), false);
});
