import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv, type ServerEnv } from './harness.js';

/** A backup directory as ZRM leaves it: links, mounts, numbered backups, and a file of its own. */
async function backupDir(env: ServerEnv, name: string): Promise<{ dir: string; datafile: string }> {
  const dir = join(env.data, name);
  const datafile = join(env.data, 'datadir', 'ibdata1');
  await mkdir(join(env.data, 'datadir'), { recursive: true });
  await writeFile(datafile, 'precious');
  await mkdir(join(dir, 'ZRM_LINKS', 'nested'), { recursive: true });
  await symlink(datafile, join(dir, 'ZRM_LINKS', 'ibdata1'));
  await symlink(join(env.data, 'datadir'), join(dir, 'ZRM_LINKS', 'nested', 'datadir'));
  await mkdir(join(dir, 'ZRM_MOUNTS'));
  await writeFile(join(dir, 'ZRM_MOUNTS', 'm'), '');
  await mkdir(join(dir, 'BACKUP', 'BACKUP-7'), { recursive: true });
  await writeFile(join(dir, 'BACKUP', 'BACKUP-7', 'f'), '');
  await mkdir(join(dir, 'BACKUP', 'BACKUP-8'));
  await writeFile(join(dir, 'backup-data'), 'zrm index');
  return { dir, datafile };
}

const request = (version: string, params: string, env: ServerEnv) => [header(version, 'remove-backup-data', params, env.tmp)];

test('LINKS removes <dir>/ZRM_LINKS only, never what the links point to; 1.8b5 gets no reply', () =>
  withServerEnv(async (env) => {
    const { dir, datafile } = await backupDir(env, 'b1');
    const r = await serve(env, request(LEGACY_VERSION, `LINKS ${dir}`, env));
    assert.equal(r.status, 0, r.log);
    assert.equal(r.output.length, 0);
    assert.equal(existsSync(join(dir, 'ZRM_LINKS')), false);
    assert.deepEqual((await readdir(dir)).sort(), ['BACKUP', 'ZRM_MOUNTS', 'backup-data']);
    assert.equal(await readFile(datafile, 'utf8'), 'precious');
    assert.deepEqual(await readdir(join(env.data, 'datadir')), ['ibdata1']);
  }));

test('v2 gets OK and a status block', () =>
  withServerEnv(async (env) => {
    const { dir } = await backupDir(env, 'b1');
    const r = await serve(env, request(V2_VERSION, `LINKS ${dir}`, env));
    assert.equal(r.status, 0, r.log);
    assert.equal(r.output.toString(), `OK\nSUCCESS\n1\nLINKS of ${dir}\n`);
  }));

test('MOUNTS removes <dir>/ZRM_MOUNTS, then <dir> itself only when that left it empty', () =>
  withServerEnv(async (env) => {
    const { dir } = await backupDir(env, 'full');
    const r1 = await serve(env, request(V2_VERSION, `MOUNTS ${dir}`, env));
    assert.equal(r1.status, 0, r1.log);
    assert.equal(parseStatus(r1.output.toString().replace(/^OK\n/, '')).ok, true);
    assert.deepEqual((await readdir(dir)).sort(), ['BACKUP', 'ZRM_LINKS', 'backup-data']);

    const only = join(env.data, 'only-mounts');
    await mkdir(join(only, 'ZRM_MOUNTS', 'x'), { recursive: true });
    const r2 = await serve(env, request(LEGACY_VERSION, `MOUNTS ${only}`, env));
    assert.equal(r2.status, 0, r2.log);
    assert.equal(existsSync(only), false, 'the emptied backup directory goes too');
    assert.equal(existsSync(env.data), true);
  }));

test('MOUNTS never removes an allowed root, even an empty one', () =>
  withServerEnv(async (env) => {
    await mkdir(join(env.data, 'ZRM_MOUNTS'));
    const r = await serve(env, request(LEGACY_VERSION, `MOUNTS ${env.data}`, env));
    assert.equal(r.status, 0, r.log);
    assert.equal(existsSync(join(env.data, 'ZRM_MOUNTS')), false);
    assert.equal(existsSync(env.data), true, 'the allowed root itself was removed');
  }));

test('a number N removes <dir>/BACKUP/BACKUP-N and nothing else', () =>
  withServerEnv(async (env) => {
    const { dir } = await backupDir(env, 'b1');
    const r = await serve(env, request(V2_VERSION, `7 ${dir}`, env));
    assert.equal(r.status, 0, r.log);
    assert.deepEqual(await readdir(join(dir, 'BACKUP')), ['BACKUP-8']);
    assert.equal(existsSync(join(dir, 'ZRM_LINKS')), true);
    assert.equal(existsSync(join(dir, 'ZRM_MOUNTS')), true);
  }));

test("a directory with '..', outside the roots, or a BACKUP link that leaves them: refused, nothing removed", () =>
  withServerEnv(async (env) => {
    const { dir } = await backupDir(env, 'victim');
    const outside = join(env.root, 'outside');
    await mkdir(join(outside, 'ZRM_LINKS'), { recursive: true });
    await mkdir(join(outside, 'BACKUP-1'));
    const escaping = join(env.data, 'escaping');
    await mkdir(escaping);
    await symlink(outside, join(escaping, 'BACKUP'));
    const cases: Array<[string, RegExp]> = [
      [`LINKS ${env.data}/other/../victim`, /contains '\.\.'/],
      [`LINKS ${outside}`, /outside the allowed roots/],
      [`1 ${escaping}`, /outside the allowed roots/],
      [`MOUNTS ../victim`, /not an absolute path/],
      [`EVERYTHING ${dir}`, /unknown kind of backup data 'EVERYTHING'/],
      [`LINKS`, /expected '<id\|LINKS\|MOUNTS> <directory>'/],
    ];
    for (const [params, re] of cases) {
      const v2 = await serve(env, request(V2_VERSION, params, env));
      assert.equal(v2.status, 1, params);
      const text = v2.output.toString();
      assert.ok(text.startsWith('OK\n'), text);
      const status = parseStatus(text.slice(3));
      assert.equal(status.ok, false, params);
      assert.match(status.lines.join('\n'), /^remove-backup-data refused: /, params);
      assert.match(status.lines.join('\n'), re, params);
      const legacy = await serve(env, request(LEGACY_VERSION, params, env));
      assert.equal(legacy.status, 1, params);
      assert.equal(legacy.output.length, 0, params);
      assert.match(legacy.log, /remove-backup-data refused/, params);
    }
    assert.equal(existsSync(join(dir, 'ZRM_LINKS')), true);
    assert.equal(existsSync(join(outside, 'ZRM_LINKS')), true);
    assert.equal(existsSync(join(outside, 'BACKUP-1')), true, 'a BACKUP link must not lead the removal outside the roots');
  }));

test('MOUNTS never removes an allowed root, however the root is written (trailing slash, //, /./, a link)', async () => {
  for (const spell of [(d: string) => `${d}/`, (d: string) => `${d}//`, (d: string) => `${d}/.`, (d: string) => d.replace(/\/data$/, '/./data')]) {
    await withServerEnv(async (env) => {
      env.config.server.allowedRoots = [spell(env.data)];
      const r = await serve(env, request(V2_VERSION, `MOUNTS ${env.data}`, env));
      assert.equal(existsSync(env.data), true, `root ${spell(env.data)} was removed`);
      assert.equal(r.status, 0, r.log);
    });
  }
  await withServerEnv(async (env) => {
    const link = join(env.root, 'data-link');
    await symlink(env.data, link);
    env.config.server.allowedRoots = [link];
    await serve(env, request(V2_VERSION, `MOUNTS ${env.data}`, env));
    assert.equal(existsSync(env.data), true, 'a root named through a link was removed');
    await serve(env, request(V2_VERSION, `MOUNTS ${link}/`, env));
    assert.equal(existsSync(env.data), true, 'a root asked for through its link was removed');
  });
});

test('LINKS and a backup id never remove a directory that is an allowed root', () =>
  withServerEnv(async (env) => {
    const { dir } = await backupDir(env, 'b1');
    const links = join(dir, 'ZRM_LINKS');
    const backup = join(dir, 'BACKUP', 'BACKUP-7');
    env.config.server.allowedRoots = [env.data, `${links}/`, `${backup}/`];
    for (const params of [`LINKS ${dir}`, `7 ${dir}`]) {
      const r = await serve(env, request(V2_VERSION, params, env));
      assert.equal(r.status, 1, params);
      assert.match(parseStatus(r.output.toString().replace(/^OK\n/, '')).lines.join(' '), /is an allowed root/, params);
    }
    assert.equal(existsSync(links), true);
    assert.equal(existsSync(backup), true);
  }));
