import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { execa } from 'execa';
import { optionFileText, quoteOptionValue, writeOptionFile } from '../../../src/backupTool/optionFile.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// What MariaDB's own option-file parser makes of the file: the values the tools will use.
async function parsed(file: string, group = 'client'): Promise<string[]> {
  const r = await execa('my_print_defaults', [`--defaults-file=${file}`, group]);
  return r.stdout.split('\n');
}

const NASTY = [
  `s3cr'et "pw" $HOME;|&`,
  'back\\slash\\',
  '\\"',
  'ends with a quote"',
  ' leading and trailing spaces ',
  'hash # not a comment; nor this',
  'dollar $(id) `id` ${x}',
  'tab\there',
  '\\n is two characters, \\s too',
  'ünïcødé ✓',
  "'single'",
];

test('quoting: wrap in double quotes, escape backslash and double quote', () => {
  assert.equal(quoteOptionValue('password', 'a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(quoteOptionValue('password', ''), '""');
});

test('line breaks and NUL are refused, never written', () => {
  for (const bad of ['a\nb', 'a\rb', 'a\0b']) {
    assert.throws(() => quoteOptionValue('password', bad), /line break/);
  }
  assert.throws(() => optionFileText({ user: 'u\n[client]', password: 'p' }), /user name/);
});

test('my_print_defaults reads every nasty password back unchanged', async () => {
  const tmp = await makeTempDir();
  try {
    for (const password of NASTY) {
      const file = await writeOptionFile(tmp.path, { user: 'zrm backup', password });
      assert.deepEqual(await parsed(file), ['--user=zrm backup', `--password=${password}`], JSON.stringify(password));
    }
  } finally {
    await tmp.cleanup();
  }
});

test('the file is 0600 in a fresh 0700 directory, and holds only what it must', async () => {
  const tmp = await makeTempDir();
  try {
    const file = await writeOptionFile(tmp.path, { user: 'u', password: 'p"w' }, 'mariabackup');
    assert.equal(dirname(dirname(file)), tmp.path);
    assert.match(basename(dirname(file)), /^cnf-/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    assert.equal((await stat(dirname(file))).mode & 0o777, 0o700);
    assert.equal(await readFile(file, 'utf8'), '[mariabackup]\nuser="u"\npassword="p\\"w"\n');
    const again = await writeOptionFile(tmp.path, { user: 'u', password: 'p' });
    assert.notEqual(dirname(again), dirname(file), 'each call gets its own directory');
  } finally {
    await tmp.cleanup();
  }
});

test('an included my.cnf is read first, so our user and password win over its own', async () => {
  const tmp = await makeTempDir();
  try {
    const mycnf = join(tmp.path, 'my.cnf');
    await writeFile(mycnf, '[client]\nuser=other\npassword=other\nsocket=/run/x.sock\n');
    const file = await writeOptionFile(tmp.path, { user: 'zrm', password: 'right' }, 'client', mycnf);
    const opts = await parsed(file);
    assert.deepEqual(opts, ['--user=other', '--password=other', '--socket=/run/x.sock', '--user=zrm', '--password=right']);
    assert.throws(() => optionFileText({ user: 'u', password: 'p' }, 'client', 'relative/my.cnf'), /absolute/);
    assert.throws(() => optionFileText({ user: 'u', password: 'p' }, 'bad]group'), /group/);
  } finally {
    await tmp.cleanup();
  }
});
