import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startTarCreate, startTarCreateFromList, startTarExtract } from '../../../src/tar/tar.js';
import { fakeRunner, onlyCall } from '../../helpers/fakeRunner.js';

test('a tar of a checked list: no recursion, names NUL-separated on stdin, never in argv', async () => {
  const { run, calls } = fakeRunner();
  const tar = startTarCreateFromList('/data', ['a', '-rf x', 'b\nc'], run);
  await tar.done;
  const call = onlyCall(calls);
  assert.equal(call.file, 'tar');
  assert.ok(call.args.includes('--no-recursion'), call.args.join(' '));
  assert.ok(call.args.includes('-h'), 'links are followed');
  assert.deepEqual(call.args.slice(-6), ['-C', '/data', '--null', '--verbatim-files-from', '-T', '-']);
  for (const name of ['-rf x', 'b\nc']) assert.ok(!call.args.includes(name), `${name} in argv`);
  assert.equal(String(call.options.input), 'a\0-rf x\0b\nc\0');
});

test('a tar of named paths puts them after --', async () => {
  const { run, calls } = fakeRunner();
  await startTarCreate('/d', ['-x'], { run }).done;
  const { args } = onlyCall(calls);
  assert.deepEqual(args.slice(-4), ['-C', '/d', '--', '-x']);
});

test('extraction ignores zero blocks (innobackupex streams hold them)', async () => {
  const { run, calls } = fakeRunner();
  await startTarExtract('/dest', run);
  const { args } = onlyCall(calls);
  assert.ok(args.includes('-i'));
  assert.deepEqual(args.slice(-2), ['-C', '/dest']);
});
