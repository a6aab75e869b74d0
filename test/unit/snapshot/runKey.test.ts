import { test } from 'node:test';
import assert from 'node:assert/strict';
import { pathBelongsToRun } from '../../../src/snapshot/runKey.js';

// ZRM builds `<destination>/<set>/<timestamp>/ZRM_LINKS/.` by joining strings: a destination
// written with a trailing slash gives `//`, which must not make the run refuse its own copy.
test('a copy from path belongs to its run however ZRM joined the slashes', () => {
  const run = { set: 'daily', destination: '/var/lib/mysql-zrm' };
  assert.equal(pathBelongsToRun('/var/lib/mysql-zrm/daily/20261129/ZRM_LINKS/.', run), true);
  assert.equal(pathBelongsToRun('/var/lib/mysql-zrm//daily/20261129/ZRM_LINKS/.', run), true);
  assert.equal(pathBelongsToRun('/var/lib/mysql-zrm/daily/20261129/ZRM_LINKS/.', { ...run, destination: '/var/lib/mysql-zrm/' }), true);
  assert.equal(pathBelongsToRun('/var/lib/mysql-zrm/weekly/20261129/ZRM_LINKS/.', run), false);
  assert.equal(pathBelongsToRun('/var/lib/mysql-zrm-other/daily/x/ZRM_LINKS/.', run), false);
  assert.equal(pathBelongsToRun('/var/lib/mysql/.', { set: '', destination: '/var/lib/mysql-zrm' }), false);
  assert.equal(pathBelongsToRun('/anything/ZRM_LINKS/.', { set: '', destination: '' }), true);
});
