import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { addSecret, createLogger, flushLogger } from '../../../src/logging/logger.js';
import { redact } from '../../../src/logging/redact.js';
import { makeTempDir } from '../../helpers/tempDir.js';

// Hole 7 of issue 7: the whole password goes, quoted or not, however odd it is.
const ODD = ['S3cret PW part2', 'two  spaces', 'p@ss=w0rd;x', "it's", 'back\\slash', 'pässwörd ünï', '$(rm -rf /)', 'tab\there', 'trailing '];

/** Every fragment of a password of length >= 3 that must not survive in the text. */
function leaks(text: string, password: string): string[] {
  return password
    .split(/[\s=;]+/)
    .filter((w) => w.length >= 3)
    .filter((w) => text.includes(w));
}

test('--password="..." and --password \'...\' are masked whole, spaces and all', () => {
  for (const pw of ODD) {
    for (const line of [
      `mysqlhotcopy --host="db1" --password="${pw}" --quiet db1 /dest`,
      `mysqlhotcopy --password '${pw.replace(/'/g, '')}' db1`,
      `params='--user="zrm" --password="${pw}"' bytes=0`,
    ]) {
      const out = redact(line);
      assert.deepEqual(leaks(out, pw.replace(/'/g, '')), [], `${JSON.stringify(line)} -> ${JSON.stringify(out)}`);
      assert.match(out, /--password[= ]\*\*\*/);
      assert.match(out, /--password[^*]*\*\*\*( db1|'|\s--quiet| bytes=0|$)/, out);
    }
  }
});

test('the words after a quoted password are kept', () => {
  assert.equal(
    redact('mysqlhotcopy --password="S3cret PW part2" --quiet db1 /dest'),
    'mysqlhotcopy --password=*** --quiet db1 /dest',
  );
  assert.equal(redact("x --password 'a b' y"), 'x --password *** y');
});

test('a password inside JSON (the debug request line) is masked whole, escaped quotes and all', () => {
  for (const pw of ODD) {
    const json = JSON.stringify({ action: 'mysqlhotcopy', params: `--user="u" --password="${pw}" db1 /d`, tmpdir: '/tmp' });
    const out = redact(`request ${json} from test`);
    assert.deepEqual(leaks(out, pw), [], out);
    assert.match(out, /"tmpdir":"\/tmp"/, 'what follows is kept');
    const asKey = redact(JSON.stringify({ user: 'u', password: pw, next: 1 }));
    assert.deepEqual(leaks(asKey, pw), [], asKey);
    assert.match(asKey, /"next":1/);
  }
});

test('an unterminated quote masks the rest of the line', () => {
  const out = redact('x --password="S3cret PW part2\nnext line');
  assert.equal(out, 'x --password=***\nnext line');
});

test('password= settings and MYSQL_PWD are masked; other words are not', () => {
  assert.equal(redact('user=zrm password=s3cret host=db'), 'user=zrm password=*** host=db');
  assert.equal(redact('MYSQL_PWD=abc def'), 'MYSQL_PWD=*** def');
  assert.equal(redact('--password-file=/etc/x --passwords are fine'), '--password-file=/etc/x --passwords are fine');
  assert.equal(redact("Access denied for user 'u'@'h' (using password: YES)"), "Access denied for user 'u'@'h' (using password: YES)");
  assert.equal(redact("{ user: 'u', password: 'a b' }"), "{ user: 'u', password: *** }");
});

test("MySQL's '(using password: YES)' is no password: the access-denied message stays readable", () => {
  const line = "Access denied for user 'zrm_backup'@'localhost' (using password: YES)";
  assert.equal(redact(line), line);
});

test('in the log file: odd passwords given as options never appear', async () => {
  const tmp = await makeTempDir();
  try {
    const file = join(tmp.path, 'server.log');
    const logger = createLogger({ file, label: 'socket-server' });
    for (const pw of ODD) logger.info(`params='--password="${pw}" db1 /d'`);
    addSecret(logger, 'learnt later');
    logger.info('the learnt later one');
    await flushLogger(logger);
    const text = await readFile(file, 'utf8');
    for (const pw of ODD) assert.deepEqual(leaks(text, pw), [], pw);
    assert.doesNotMatch(text, /learnt later/);
    assert.equal(text.split('\n').filter((l) => l.includes("--password=*** db1 /d'")).length, ODD.length, text);
  } finally {
    await tmp.cleanup();
  }
});
