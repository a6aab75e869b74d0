import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv, type ServerEnv } from './harness.js';

// Hole 1 of issue 7: `copy between` runs the copy plugin with the client's arguments; it may
// only read and write inside the roots and only talk to the hosts the config allows.

/** An attacker's listener on loopback: counts connections and drops them. */
async function listener(): Promise<{ port: number; connections: () => number; close: () => Promise<void> }> {
  let n = 0;
  const server: Server = createServer((sock) => {
    n++;
    sock.destroy();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { port, connections: () => n, close: () => new Promise((r) => server.close(() => r())) };
}

async function between(env: ServerEnv, version: string, params: string, port: number) {
  const r = await serve(env, [header(version, 'copy between', params, env.tmp), `${port}\n`]);
  const status = parseStatus(r.output.toString().replace(/^OK\n/, ''));
  return { ...r, ok: status.ok, lines: status.lines.join(' / ') };
}

async function outsideSecret(env: ServerEnv): Promise<string> {
  const outside = join(env.root, 'outside');
  await mkdir(outside, { recursive: true });
  await writeFile(join(outside, 'secret'), 'do not send');
  return join(outside, 'secret');
}

test('copy between is refused by default: no peer host allowed, nothing is sent anywhere', () =>
  withServerEnv(async (env) => {
    const l = await listener();
    try {
      await writeFile(join(env.data, 'inside'), 'x');
      for (const version of [LEGACY_VERSION, V2_VERSION]) {
        const r = await between(env, version, `--source-file '${join(env.data, 'inside')}' --destination-dir /tmp --source-host localhost --destination-host 127.0.0.1`, l.port);
        assert.equal(r.status, 1);
        assert.equal(r.ok, false);
        assert.match(r.lines, /copy_between_hosts is empty/);
        assert.match(r.log, /copy_between_hosts is empty/);
      }
      assert.equal(l.connections(), 0);
    } finally {
      await l.close();
    }
  }));

test('exfiltration: a source outside the roots is refused even to an allowed host', () =>
  withServerEnv(async (env) => {
    const l = await listener();
    try {
      const secret = await outsideSecret(env);
      const r = await between(env, V2_VERSION, `--source-file '${secret}' --destination-dir /tmp --source-host localhost --destination-host 127.0.0.1`, l.port);
      assert.equal(r.ok, false);
      assert.match(r.lines, /outside the allowed roots/);
      assert.equal(l.connections(), 0, 'the secret went out');
    } finally {
      await l.close();
    }
  }, '[server]\ncopy_between_hosts = 127.0.0.1\n'));

test('planting: a destination outside the roots, or a peer not on the list, is refused', () =>
  withServerEnv(async (env) => {
    const l = await listener();
    try {
      const outside = join(env.root, 'outside');
      await mkdir(outside);
      const planted = await between(env, V2_VERSION, `--source-file '/etc/passwd' --destination-dir ${outside} --source-host 127.0.0.1 --destination-host localhost`, l.port);
      assert.equal(planted.ok, false);
      assert.match(planted.lines, /outside the allowed roots/);
      const stranger = await between(env, V2_VERSION, `--source-file '/x' --destination-dir ${env.data} --source-host 10.9.9.9 --destination-host localhost`, l.port);
      assert.equal(stranger.ok, false);
      assert.match(stranger.lines, /source host '10\.9\.9\.9' is not in \[server\] copy_between_hosts/);
      assert.deepEqual(await readdir(outside), []);
      assert.equal(l.connections(), 0);
    } finally {
      await l.close();
    }
  }, '[server]\ncopy_between_hosts = 127.0.0.1\n'));

test('only the plain copy form: create-link, snapshot-command, remove-backup-data are refused', () =>
  withServerEnv(async (env) => {
    const l = await listener();
    try {
      for (const params of [
        `--create-link --source-file ${env.data}/l --destination-host 127.0.0.1 --destination-directory File`,
        `--snapshot-command --host 127.0.0.1 --snapshot-parameters --action=mount`,
        `remove-backup-data --backup-dir ${env.data} --type-of-dir LINKS --host 127.0.0.1`,
      ]) {
        const r = await between(env, V2_VERSION, params, l.port);
        assert.equal(r.ok, false, params);
        assert.match(r.lines, /only a plain copy/, params);
      }
      assert.equal(l.connections(), 0);
    } finally {
      await l.close();
    }
  }, '[server]\ncopy_between_hosts = 127.0.0.1\n'));

test('a copy inside the roots to an allowed host does go out (the fence is not a wall)', () =>
  withServerEnv(async (env) => {
    const l = await listener();
    try {
      await writeFile(join(env.data, 'inside'), 'x');
      await between(env, V2_VERSION, `--source-file '${join(env.data, 'inside')}' --destination-dir /tmp --source-host localhost --destination-host 127.0.0.1`, l.port);
      assert.equal(l.connections() > 0, true);
    } finally {
      await l.close();
    }
  }, '[server]\ncopy_between_hosts = 127.0.0.1\n'));
