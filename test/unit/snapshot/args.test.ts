import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitError } from '../../../src/errors.js';
import { forwardedParameters, parseSnapshotArgs } from '../../../src/snapshot/args.js';
import { runSnapshotPlugin } from '../../../src/snapshot/runSnapshotPlugin.js';
import { makeContext } from './helpers.js';

test('parses --opt value and --opt=value, keeping the order first seen', () => {
  const args = parseSnapshotArgs(['--action', 'get-vm-device-details', '--directory=/data//mysql', '--sname', 'zrmX', '--host=127.0.0.1']);
  assert.equal(args.action, 'get-vm-device-details');
  assert.deepEqual([...args.options], [
    ['action', 'get-vm-device-details'],
    ['directory', '/data//mysql'],
    ['sname', 'zrmX'],
    ['host', '127.0.0.1'],
  ]);
});

test('takes everything after the first = as the value, and the next argument verbatim', () => {
  const args = parseSnapshotArgs(['--action=mount', '--directory=/a=b', '--dev', '--fstype']);
  assert.equal(args.options.get('directory'), '/a=b');
  assert.equal(args.options.get('dev'), '--fstype');
});

test('a repeated option keeps its last value', () => {
  const args = parseSnapshotArgs(['--action', 'umount', '--directory', '/x', '--directory', '/y']);
  assert.equal(args.options.get('directory'), '/y');
});

test('skips empty arguments left by the trailing space of --snapshot-parameters', () => {
  const args = parseSnapshotArgs('--size=10 --directory=/s --sname=null --action=create-snapshot --dev=/dev/null '.split(' '));
  assert.equal(args.action, 'create-snapshot');
  assert.equal(args.options.get('size'), '10');
});

test('accepts every action with the options ZRM sends', () => {
  for (const argv of [
    ['--action', 'create-snapshot', '--dev', '/dev/null', '--size', '10', '--sname', 'null', '--directory', '/s'],
    ['--action', 'mount', '--dev', '/dev/null', '--directory', '/s', '--fstype', 'null'],
    ['--action', 'umount', '--directory', '/s'],
    ['--action', 'remove-snapshot', '--dev', '/dev/null'],
  ]) {
    assert.equal(parseSnapshotArgs(argv).action, argv[1]);
  }
});

const bad: Array<[string[], RegExp]> = [
  [['--action', 'mount', '--verbose', 'x'], /unknown option '--verbose'/],
  [['--help'], /unknown option '--help'/],
  [['--action', 'mount', 'stray'], /unexpected argument 'stray'/],
  [['-a', 'mount'], /unexpected argument '-a'/],
  [['--action', 'mount', '--dev'], /'--dev' needs a value/],
  [['--directory', '/x'], /missing required option --action/],
  [['--action='], /missing required option --action/],
  [['--action', 'snapshot'], /unknown action 'snapshot'/],
  [['--action', 'get-vm-device-details', '--sname', 's'], /get-vm-device-details needs --directory/],
  [['--action', 'get-vm-device-details', '--directory='], /needs --directory/],
];

for (const [argv, message] of bad) {
  test(`refuses ${JSON.stringify(argv)}`, () => {
    assert.throws(() => parseSnapshotArgs(argv), (err: unknown) => err instanceof ExitError && message.test(err.message));
  });
}

test('a bad command line gives one line on stderr, nothing on stdout, exit 1', async () => {
  for (const [argv, message] of bad) {
    const ctx = makeContext('/nonexistent/state');
    assert.equal(await runSnapshotPlugin(argv, ctx), 1);
    assert.equal(ctx.stdout.text, '');
    assert.match(ctx.stderr.text, /^inno-snapshot: .+\n$/);
    assert.match(ctx.stderr.text, message);
  }
});

test('forwarded parameters: every option but --host as --k=v, each followed by a space', () => {
  const args = parseSnapshotArgs(['--action', 'create-snapshot', '--dev', '/dev/null', '--host', 'db1', '--size', '10']);
  assert.equal(forwardedParameters(args), '--action=create-snapshot --dev=/dev/null --size=10 ');
});

test('forwarded parameters refuse a value the far end would split', () => {
  const args = parseSnapshotArgs(['--action', 'get-vm-device-details', '--directory', '/my data', '--host', 'db1']);
  assert.throws(() => forwardedParameters(args), /--directory: its value contains whitespace/);
});
