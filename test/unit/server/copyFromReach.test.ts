import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, open, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { readV2Frames } from '../../../src/protocol/v2Frames.js';
import { MAIN_JS } from '../../helpers/plugins.js';
import { LEGACY_VERSION, V2_VERSION, collect, header, makeServerEnv, readerOf, serve, withServerEnv, type ServerEnv } from './harness.js';

// Issue 7, hole 2: tar -h followed every link below a requested directory, and names expanded
// from '*' were never checked. Links are still followed (ZRM_LINKS; here a links dir, since ZRM_LINKS itself is refused while nothing is armed), but only inside the roots.

function firstLine(out: Buffer): { line: string; after: Buffer } {
  const nl = out.indexOf(0x0a);
  if (nl < 0) return { line: `<no line in ${out.length} bytes>`, after: Buffer.alloc(0) };
  return { line: out.subarray(0, Math.min(nl, 500)).toString('latin1'), after: out.subarray(nl + 1) };
}

async function tarList(archive: Buffer): Promise<string[]> {
  const r = await execa('tar', ['-tf', '-'], { input: archive });
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

/** Both protocols refuse `path`: a v2 ERROR line naming `why`, and not one byte to a 1.8b5 client. */
async function assertRefused(env: ServerEnv, path: string, why: RegExp): Promise<void> {
  const v2 = await serve(env, [header(V2_VERSION, 'copy from', path, env.tmp)]);
  assert.equal(v2.status, 1, `${path}: ${v2.log}`);
  const { line, after } = firstLine(v2.output);
  assert.match(line, /^ERROR copy from refused: /, path);
  assert.match(line, why, path);
  assert.equal(after.length, 0, `${path}: nothing may follow the ERROR line`);
  const legacy = await serve(env, [header(LEGACY_VERSION, 'copy from', path, env.tmp)]);
  assert.equal(legacy.status, 1, path);
  assert.equal(legacy.output.length, 0, `${path}: a 1.8b5 client got ${legacy.output.length} bytes`);
  assert.doesNotMatch(legacy.output.toString('latin1'), /top secret/);
}

test('copy from a directory holding a link to a file outside the roots: refused, nothing sent', () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.root, 'secret.txt'), 'top secret');
    const d2 = join(env.data, 'd2');
    await mkdir(d2);
    await writeFile(join(d2, 'fine.txt'), 'fine');
    await symlink(join(env.root, 'secret.txt'), join(d2, 'link'));
    await assertRefused(env, d2, /d2\/link' resolves to '.*secret\.txt', outside the allowed roots/);
    await assertRefused(env, `${d2}/.`, /outside the allowed roots/);
  }));

test('copy from a directory holding a link to a directory outside the roots, deep down: refused', () =>
  withServerEnv(async (env) => {
    await mkdir(join(env.root, 'outside'));
    await writeFile(join(env.root, 'outside', 'secret.txt'), 'top secret');
    await mkdir(join(env.data, 'd', 'a', 'b'), { recursive: true });
    await symlink('../../../../outside', join(env.data, 'd', 'a', 'b', 'rel'));
    await assertRefused(env, join(env.data, 'd'), /outside the allowed roots/);
  }));

test("a name expanded from '*' that is a link out of the roots: refused", () =>
  withServerEnv(async (env) => {
    await writeFile(join(env.root, 'secret.txt'), 'top secret');
    await writeFile(join(env.data, 'mysql-bin.000001'), 'binlog');
    await symlink(join(env.root, 'secret.txt'), join(env.data, 'mysql-bin.000002'));
    await assertRefused(env, join(env.data, 'mysql-bin.*'), /mysql-bin\.000002' resolves to .*outside the allowed roots/);
  }));

test('a link loop below the requested directory: refused as a loop, not followed for ever', () =>
  withServerEnv(async (env) => {
    await mkdir(join(env.data, 'd', 'sub'), { recursive: true });
    await writeFile(join(env.data, 'd', 'sub', 'f'), 'x');
    await symlink('..', join(env.data, 'd', 'sub', 'up'));
    await assertRefused(env, join(env.data, 'd'), /loop/);
    await symlink('self', join(env.data, 'self'));
    await assertRefused(env, join(env.data, 'self'), /loop|too many symbolic links/);
  }));

test('links that stay inside the roots are followed and keep their own names', () =>
  withServerEnv(async (env) => {
    const datadir = join(env.data, 'datadir');
    await mkdir(join(datadir, 'shop'), { recursive: true });
    await writeFile(join(datadir, 'shop', 't.ibd'), 'table data');
    await writeFile(join(datadir, '-odd\nname'), 'odd');
    const links = join(env.data, 'backup', 'links');
    await mkdir(links, { recursive: true });
    await symlink(join(datadir, 'shop'), join(links, 'shop'));
    await symlink('../../datadir/-odd\nname', join(links, 'odd'));
    const r = await serve(env, [header(V2_VERSION, 'copy from', `${links}/.`, env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, after } = firstLine(r.output);
    assert.equal(line, 'OK tar');
    assert.deepEqual(await tarList(await collect(readV2Frames(readerOf(after)))), ['./', './odd', './shop/', './shop/t.ibd']);
  }));

/** Runs a program with a file (not a socket, as execa would give) on fd 0; killed at the deadline. */
async function runWithDeadline(cmd: string, args: string[], inputFile: string, env: NodeJS.ProcessEnv, ms: number): Promise<{ exitCode: number | null; stdout: string; timedOut: boolean }> {
  const fd = await open(inputFile, 'r');
  try {
    const child = spawn(cmd, args, { stdio: [fd.fd, 'pipe', 'ignore'], env });
    let stdout = '';
    child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, ms);
    const [exitCode] = (await once(child, 'close')) as [number | null];
    clearTimeout(timer);
    return { exitCode, stdout, timedOut };
  } finally {
    await fd.close();
  }
}

test("a '*' pattern built to make a RegExp backtrack: answered, not a server spinning at 100% CPU", async () => {
  const env = await makeServerEnv();
  try {
    await writeFile(join(env.data, 'a'.repeat(200)), 'x');
    const conf = join(env.root, 'server.conf');
    await writeFile(conf, `[server]\nallowed_roots = ${env.data}\n[state]\ndir = ${env.state}\n[log]\nserver_log = ${join(env.root, 's.log')}\ntool_log = ${join(env.root, 't.log')}\n`);
    const request = join(env.root, 'request');
    await writeFile(request, header(V2_VERSION, 'copy from', join(env.data, `${'*a'.repeat(14)}*b`), env.tmp));
    // A real server process with a generous deadline: the old RegExp ran for hours. (The request
    // comes from a file: a socket on fd 0 would be taken for xinetd's and answered there.)
    const r = await runWithDeadline(process.execPath, [MAIN_JS, 'socket-server'], request, { PATH: process.env.PATH ?? '/usr/bin:/bin', ZRM_INNOBACKUPEX_CONF: conf }, 120_000);
    assert.equal(r.timedOut, false, 'the server was still matching after two minutes');
    assert.equal(r.exitCode, 1);
    assert.match(r.stdout, /^ERROR copy from: nothing matches/);
  } finally {
    await env.cleanup();
  }
});
