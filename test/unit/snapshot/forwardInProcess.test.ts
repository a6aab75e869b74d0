import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, readFile, symlink, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { V2_VERSION } from '../../../src/protocol/versions.js';
import { makeTempDir } from '../../helpers/tempDir.js';
import { makeContext, runPlugin as run } from './helpers.js';

// When ZRM's copy-plugin is our socket-copy.palomino.pl, the snapshot plugin speaks the protocol
// itself. A scripted v2 server on loopback records the request and answers with a status block.

const FAKE_COPY = fileURLToPath(new URL('../../../../test/fixtures/snapshot/fake-copy-plugin.mjs', import.meta.url));
const SIX_LINES = [
  'device=/dev/null', 'snapshot-device=/dev/null', 'device-mount-point=null', 'filesystem-type=null',
  'relative-copy-dir=;16877;0;0', 'snapshot-mount-point=/tmp/zrm-innosnap',
];

interface Scripted {
  server: Server;
  port: number;
  /** Every line each connection sent, in order. */
  requests: string[][];
}

/** Reads the 5 header lines, answers OK, reads plugin path + N settings, replies `reply`. */
async function scriptedServer(reply: { ok: boolean; lines: string[] }): Promise<Scripted> {
  const requests: string[][] = [];
  const server = createServer((socket: Socket) => {
    const lines: string[] = [];
    requests.push(lines);
    let text = '';
    let answered = false;
    socket.on('data', (chunk: Buffer) => {
      text += chunk.toString('utf8');
      let nl: number;
      while ((nl = text.indexOf('\n')) >= 0) {
        lines.push(text.slice(0, nl));
        text = text.slice(nl + 1);
      }
      if (lines.length >= 5 && !answered) {
        answered = true;
        socket.write('OK\n');
      }
      if (lines.length >= 7 && lines.length === 7 + Number(lines[6])) {
        socket.end(`${reply.ok ? 'SUCCESS' : 'ERROR'}\n${reply.lines.length}\n${reply.lines.map((l) => `${l}\n`).join('')}`);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0, requests };
}

async function withSetup(
  reply: { ok: boolean; lines: string[] },
  copyPluginFile: (dir: string) => Promise<string>,
  fn: (s: { root: string; zrmConf: string; record: string; srv: Scripted; ctx: ReturnType<typeof makeContext> }) => Promise<void>,
): Promise<void> {
  const tmp = await makeTempDir('zrm-snapinproc-');
  const srv = await scriptedServer(reply);
  try {
    const copyPlugin = await copyPluginFile(tmp.path);
    const zrmConf = join(tmp.path, 'ZSrKbRbivq');
    await writeFile(
      zrmConf,
      `user=zrm_backup\npassword=pw\ncopy-plugin=${copyPlugin}\nsnapshot-plugin=/usr/share/mysql-zrm/plugins/inno-snapshot.pl\nsocket-remote-port=${srv.port}\n`,
      { mode: 0o600 },
    );
    const record = join(tmp.path, 'record.json');
    const ctx = makeContext(join(tmp.path, 'state'), { ZRM_CONF: zrmConf, FAKE_COPY_RECORD: record });
    await fn({ root: tmp.path, zrmConf, record, srv, ctx });
  } finally {
    srv.server.close();
    await tmp.cleanup();
  }
}

/** Our copy plugin under its packaged name (a link to a program that is not Perl). */
const ourName = async (dir: string): Promise<string> => {
  const path = join(dir, 'socket-copy.palomino.pl');
  await symlink(FAKE_COPY, path);
  return path;
};

const gone = async (path: string) => {
  await assert.rejects(lstat(path), { code: 'ENOENT' });
};

test('our copy plugin runs in-process: the same request on the wire, no new process, answer relayed', () =>
  withSetup({ ok: true, lines: SIX_LINES }, ourName, async ({ zrmConf, record, srv, ctx }) => {
    const argv = ['--action', 'get-vm-device-details', '--directory', '/srv/data', '--sname', 'zrmsOk', '--host', '127.0.0.1'];
    assert.equal(await run(ctx, argv), 0);
    await gone(record); // the program behind the link never ran
    assert.equal(srv.requests.length, 1);
    const lines = srv.requests[0] as string[];
    assert.deepEqual(lines.slice(0, 3), [V2_VERSION, 'snapshot', '--action=get-vm-device-details --directory=/srv/data --sname=zrmsOk ']);
    assert.equal(lines[4], '/usr/bin');
    // The run keys (runKey.ts) come first, empty when ZRM_CONF lacks them, as the spawned plugin sends them.
    assert.deepEqual(lines.slice(5), ['/usr/share/mysql-zrm/plugins/inno-snapshot.pl', '4', 'backup-set=', 'destination=', 'user=zrm_backup', 'password=pw']);
    assert.equal(ctx.stdout.text, SIX_LINES.map((l) => `${l}\n`).join(''));
    assert.equal(ctx.stderr.text, '');
    await gone(`${zrmConf}.rmot`);
  }));

test('in-process, an ERROR from the server: its lines on stderr, an error line, exit 1, .rmot removed', () =>
  withSetup({ ok: false, lines: ['mount: no such thing'] }, ourName, async ({ zrmConf, ctx }) => {
    assert.equal(await run(ctx, ['--action', 'mount', '--dev', '/dev/null', '--directory', '/s', '--fstype', 'null', '--host', '127.0.0.1']), 1);
    assert.equal(ctx.stdout.text, '');
    assert.match(ctx.stderr.text, /^mount: no such thing\ninno-snapshot: mount on 127\.0\.0\.1 failed: copy plugin .*socket-copy\.palomino\.pl: exit status 1\n$/);
    await gone(`${zrmConf}.rmot`);
  }));

test('the original Perl socket-copy.palomino.pl is still spawned, not replaced by ours', () =>
  withSetup(
    { ok: true, lines: SIX_LINES },
    async (dir) => {
      const path = join(dir, 'socket-copy.palomino.pl');
      await writeFile(path, '#!/usr/bin/perl\nprint "perl ran with $ENV{SNAPSHOT_CONF}\\n";\n', { mode: 0o700 });
      return path;
    },
    async ({ zrmConf, srv, ctx }) => {
      assert.equal(await run(ctx, ['--action', 'umount', '--directory', '/s', '--host', '127.0.0.1']), 0);
      assert.equal(ctx.stdout.text, `perl ran with ${zrmConf}.rmot\n`);
      assert.equal(srv.requests.length, 0);
      await gone(`${zrmConf}.rmot`);
    },
  ));

test('a copy plugin with another name is spawned, as before', () =>
  withSetup({ ok: true, lines: SIX_LINES }, async () => FAKE_COPY, async ({ record, srv, ctx }) => {
    assert.equal(await run(ctx, ['--action', 'umount', '--directory', '/s', '--host', '127.0.0.1']), 0);
    assert.deepEqual((JSON.parse(await readFile(record, 'utf8')) as { argv: string[] }).argv.slice(0, 3), ['--snapshot-command', '--host', '127.0.0.1']);
    assert.equal(srv.requests.length, 0);
  }));
