import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ExitCode, ExitError } from '../../../src/errors.js';
import { isLocalHost, parseCopyArgs } from '../../../src/client/args.js';

const usage = (re: RegExp) => (err: unknown) => err instanceof ExitError && err.exitCode === ExitCode.usage && re.test(err.message);

/** The same options written as `--k v` and as `--k=v`. */
function bothForms(pairs: Array<[string, string]>, extra: string[] = []): string[][] {
  return [
    [...extra, ...pairs.flatMap(([k, v]) => [`--${k}`, v])],
    [...extra, ...pairs.map(([k, v]) => `--${k}=${v}`)],
  ];
}

test('copy from: --source-host S --source-file F --destination-directory D', () => {
  for (const argv of bothForms([['source-host', 'db1'], ['source-file', '/b/ZRM_LINKS/.'], ['destination-host', 'localhost'], ['destination-directory', '/b']])) {
    assert.deepEqual(parseCopyArgs(argv), {
      form: 'copy', sourceHost: 'db1', sourceFile: '/b/ZRM_LINKS/.', destinationHost: 'localhost', destinationDirectory: '/b',
    }, argv.join(' '));
  }
});

test('copy to: --source-file F --destination-host H --destination-directory D', () => {
  for (const argv of bothForms([['source-file', '/local/f'], ['destination-host', '10.0.0.2'], ['destination-directory', '/remote/d']])) {
    assert.deepEqual(parseCopyArgs(argv), {
      form: 'copy', sourceHost: undefined, sourceFile: '/local/f', destinationHost: '10.0.0.2', destinationDirectory: '/remote/d',
    });
  }
});

test('create-link: --create-link --source-file LIST --destination-host H --destination-directory File', () => {
  for (const argv of bothForms([['source-file', '/tmp/ZSrKbRbivq'], ['destination-host', '127.0.0.1'], ['destination-directory', 'File']], ['--create-link'])) {
    assert.deepEqual(parseCopyArgs(argv), { form: 'create-link', sourceFile: '/tmp/ZSrKbRbivq', destinationHost: '127.0.0.1', destinationDirectory: 'File' });
  }
});

test('snapshot-command: a --snapshot-parameters value that starts with -- is the value, not an option', () => {
  const params = '--directory=/var/lib/mysql --action=get-vm-device-details --sname=zrmsOkSgbYYA1 ';
  for (const argv of bothForms([['host', '127.0.0.1'], ['snapshot-parameters', params]], ['--snapshot-command'])) {
    assert.deepEqual(parseCopyArgs(argv), { form: 'snapshot-command', host: '127.0.0.1', parameters: params });
  }
  // The value may itself be a bare option name of ours.
  assert.deepEqual(parseCopyArgs(['--snapshot-command', '--snapshot-parameters', '--host', '--host', 'h']), {
    form: 'snapshot-command', host: 'h', parameters: '--host',
  });
});

test('remove-backup-data: LINKS/MOUNTS, and with --backup-id', () => {
  for (const argv of bothForms([['backup-dir', '/b/20260101'], ['type-of-dir', 'LINKS'], ['host', '127.0.0.1']], ['remove-backup-data'])) {
    assert.deepEqual(parseCopyArgs(argv), { form: 'remove-backup-data', backupDir: '/b/20260101', typeOfDir: 'LINKS', backupId: undefined, host: '127.0.0.1' });
  }
  for (const argv of bothForms([['backup-dir', '/b'], ['backup-id', '7'], ['host', 'db1']], ['remove-backup-data'])) {
    assert.deepEqual(parseCopyArgs(argv), { form: 'remove-backup-data', backupDir: '/b', typeOfDir: '', backupId: '7', host: 'db1' });
  }
});

test('mysqlhotcopy: options, database names and the destination last', () => {
  const r = parseCopyArgs(['--mysqlhotcopy=/opt/bin', '--host=db1', '--user=u', '--password=p w', '--port=3307', '--socket=/s.sock', '--quiet', 'db1', 'db2', '/dest']);
  assert.deepEqual(r, {
    form: 'mysqlhotcopy',
    binpath: '/opt/bin',
    options: new Map([['host', 'db1'], ['user', 'u'], ['password', 'p w'], ['port', '3307'], ['socket', '/s.sock']]),
    quiet: true,
    databases: ['db1', 'db2'],
    destination: '/dest',
  });
  const plain = parseCopyArgs(['--mysqlhotcopy', '--user', 'u', 'shop', '/dest']);
  assert.deepEqual(plain, { form: 'mysqlhotcopy', binpath: undefined, options: new Map([['user', 'u']]), quiet: false, databases: ['shop'], destination: '/dest' });
});

test('errors: unknown option, missing value, missing required option, stray argument', () => {
  assert.throws(() => parseCopyArgs(['--source-file', 'f', '--destination-directory', 'd', '--bogus']), usage(/unknown option --bogus/));
  assert.throws(() => parseCopyArgs(['--source-file', 'f', '--destination-directory']), usage(/--destination-directory needs a value/));
  assert.throws(() => parseCopyArgs(['--source-host', 'h', '--destination-directory', '/d']), usage(/--source-file is required/));
  assert.throws(() => parseCopyArgs(['--source-file=', '--destination-directory', '/d']), usage(/--source-file is required/));
  assert.throws(() => parseCopyArgs(['--source-file', 'f']), usage(/--destination-directory is required/));
  assert.throws(() => parseCopyArgs(['--source-file', 'f', '--destination-directory', '/d', 'extra']), usage(/unexpected argument 'extra'/));
  assert.throws(() => parseCopyArgs(['--create-link', '--source-file', 'l']), usage(/--destination-host is required/));
  assert.throws(() => parseCopyArgs(['--snapshot-command', '--snapshot-parameters', '--action=mount']), usage(/--host is required/));
  assert.throws(() => parseCopyArgs(['remove-backup-data', '--type-of-dir', 'LINKS', '--host', 'h']), usage(/--backup-dir is required/));
  assert.throws(() => parseCopyArgs(['remove-backup-data', '--backup-dir', '/b', '--type-of-dir', 'LINKS']), usage(/--host is required/));
  assert.throws(() => parseCopyArgs(['--mysqlhotcopy', '/dest']), usage(/needs database names and a destination/));
  assert.throws(() => parseCopyArgs(['--mysqlhotcopy']), usage(/needs database names and a destination/));
  assert.throws(() => parseCopyArgs([]), usage(/--source-file is required/));
});

test("isLocalHost: only no host, '' and 'localhost' are local (ZRM's rule)", () => {
  assert.equal(isLocalHost(undefined), true);
  assert.equal(isLocalHost(''), true);
  assert.equal(isLocalHost('localhost'), true);
  assert.equal(isLocalHost('127.0.0.1'), false);
  assert.equal(isLocalHost('::1'), false);
  assert.equal(isLocalHost('db1'), false);
});
