import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { DEFAULT_CONFIG, parseAppConfig } from '../../../src/config/appConfig.js';
import { ExitCode, ExitError } from '../../../src/errors.js';
import { remoteFor } from '../../../src/client/remote.js';

test("remoteFor takes ZRM's socket-remote-port and remote-mysql-binpath", () => {
  const conf = new Map([['socket-remote-port', ' 25301 '], ['remote-mysql-binpath', '/opt/mysql/bin']]);
  assert.deepEqual(remoteFor('db1', conf, DEFAULT_CONFIG), { host: 'db1', port: 25301, tmpdir: tmpdir(), binpath: '/opt/mysql/bin' });
});

test('remoteFor defaults: the configured server port and /usr/bin', () => {
  assert.deepEqual(remoteFor('db1', new Map(), parseAppConfig('[server]\nport = 4444')), { host: 'db1', port: 4444, tmpdir: tmpdir(), binpath: '/usr/bin' });
  assert.equal(remoteFor('db1', new Map([['socket-remote-port', '']]), DEFAULT_CONFIG).port, 25300);
});

test('remoteFor refuses a port that is not a port', () => {
  for (const bad of ['0', '65536', 'x25300', '25300x', '-1']) {
    assert.throws(
      () => remoteFor('db1', new Map([['socket-remote-port', bad]]), DEFAULT_CONFIG),
      (err: unknown) => err instanceof ExitError && err.exitCode === ExitCode.config && /is not a port number/.test(err.message),
      bad,
    );
  }
});
