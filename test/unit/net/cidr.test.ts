import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { parseAppConfig } from '../../../src/config/appConfig.js';
import { ExitCode, ExitError } from '../../../src/errors.js';
import { addressAllowed, parseCidrList } from '../../../src/net/cidr.js';
import { clientRefusal } from '../../../src/net/peerGate.js';

const configError = (err: unknown) => err instanceof ExitError && err.exitCode === ExitCode.config;

test('the default lets loopback in, IPv4, IPv6 and IPv4-mapped alike, and nothing else', () => {
  const def = parseAppConfig('').server.allowedClients;
  for (const a of ['127.0.0.1', '127.0.0.2', '127.255.255.254', '::1', '::ffff:127.0.0.1']) assert.ok(addressAllowed(a, def), a);
  for (const a of ['10.0.0.1', '128.0.0.1', '::2', 'fe80::1', '::ffff:10.0.0.1', '', 'localhost']) assert.ok(!addressAllowed(a, def), a);
});

test('CIDRs and single addresses, comma or space separated', () => {
  const list = parseCidrList('10.1.0.0/16, 192.0.2.7 fd00:1::/32');
  assert.ok(addressAllowed('10.1.255.3', list));
  assert.ok(!addressAllowed('10.2.0.1', list));
  assert.ok(addressAllowed('192.0.2.7', list));
  assert.ok(!addressAllowed('192.0.2.8', list));
  assert.ok(addressAllowed('fd00:1:ffff::9', list));
  assert.ok(!addressAllowed('fd00:2::9', list));
  assert.ok(addressAllowed('127.0.0.1', parseCidrList('127.0.0.1/32')));
  assert.ok(!addressAllowed('127.0.0.2', parseCidrList('127.0.0.1/32')));
});

test('a bad entry or an empty list is a config error', () => {
  for (const bad of ['10.0.0.0/33', '::/129', 'example.com', '10.0.0.0/8/1', '10.0.0/8', '10.0.0.0/x', ' , ']) {
    assert.throws(() => parseAppConfig(`[server]\nallowed_clients = ${bad}\n`), configError, bad);
  }
});

test('peer: the socket first, REMOTE_HOST only without one, a local pipe is no network client', () => {
  const allowed = ['127.0.0.1/32'];
  const pipe = new PassThrough();
  assert.equal(clientRefusal(pipe, {}, allowed), undefined);
  assert.equal(clientRefusal(pipe, { REMOTE_HOST: '127.0.0.1' }, allowed), undefined);
  assert.match(clientRefusal(pipe, { REMOTE_HOST: '10.9.9.9' }, allowed) ?? '', /refused connection from 10\.9\.9\.9: not in \[server\] allowed_clients/);
});
