import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatZrmConf, loadZrmConf, parseZrmConf } from '../../../src/config/zrmConf.js';
import { makeTempDir } from '../../helpers/tempDir.js';

test('parseZrmConf splits at the first =, later = belong to the value', () => {
  const conf = parseZrmConf('user=backup\npassword=a=b==c\nsnapshot-plugin=/usr/share/mysql-zrm/plugins/inno-snapshot.pl\n');
  assert.deepEqual([...conf], [
    ['user', 'backup'],
    ['password', 'a=b==c'],
    ['snapshot-plugin', '/usr/share/mysql-zrm/plugins/inno-snapshot.pl'],
  ]);
});

test('parseZrmConf skips blank lines and lines without =, strips CR, keeps the value as written', () => {
  const conf = parseZrmConf('\n  \nuser=u\r\nno equals sign\n\npassword= spaced value \nempty=\n');
  assert.deepEqual([...conf], [
    ['user', 'u'],
    ['password', ' spaced value '],
    ['empty', ''],
  ]);
});

test('parseZrmConf: a later line for the same key wins', () => {
  assert.equal(parseZrmConf('port=1\nport=2\n').get('port'), '2');
});

test('formatZrmConf writes what parseZrmConf reads back', () => {
  const entries: Array<[string, string]> = [['user', 'u'], ['password', 'p=q r']];
  const text = formatZrmConf(entries);
  assert.equal(text, 'user=u\npassword=p=q r\n');
  assert.deepEqual([...parseZrmConf(text)], entries);
});

test('loadZrmConf reads $ZRM_CONF; an unset variable is an empty config; a missing file is an error', async () => {
  const tmp = await makeTempDir('zrm-zrmconf-');
  try {
    const file = join(tmp.path, 'zrm.conf');
    await writeFile(file, 'socket-remote-port=25301\n');
    assert.equal((await loadZrmConf({ ZRM_CONF: file })).get('socket-remote-port'), '25301');
    assert.equal((await loadZrmConf({})).size, 0);
    await assert.rejects(loadZrmConf({ ZRM_CONF: join(tmp.path, 'missing') }), /ENOENT/);
  } finally {
    await tmp.cleanup();
  }
});
