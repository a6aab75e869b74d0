import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

// README's fault matrix is generated from the fault test names (cell, protocol, what the user sees)
// (scripts/fault-matrix.mjs): a cell added, renamed or dropped in the tests must show there.
const ROOT = resolve(fileURLToPath(import.meta.url), '..', '..', '..', '..');

test("README's fault matrix is the one the tests' names make", async () => {
  const script = pathToFileURL(resolve(ROOT, 'scripts', 'fault-matrix.mjs')).href;
  const { readmeWithMatrix, faultRows } = (await import(script)) as {
    readmeWithMatrix: (readme: string) => string;
    faultRows: () => Array<{ cell: string; protocol: string }>;
  };
  const readme = await readFile(resolve(ROOT, 'README.md'), 'utf8');
  assert.ok(faultRows().length >= 10);
  for (const r of faultRows()) assert.ok(['v2', '1.8b5', 'both'].includes(r.protocol), `${r.cell}: protocol ${r.protocol}`);
  assert.equal(readme, readmeWithMatrix(readme), 'README.md is out of date: run npm run matrix -- --write');
});
