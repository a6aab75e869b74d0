import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { lstat, mkdir, readdir, readlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { armState, ensureStateDir } from '../../../src/snapshot/state.js';
import { LEGACY_VERSION, V2_VERSION, header, parseStatus, serve, withServerEnv, type ServerEnv } from './harness.js';

function request(version: string, env: ServerEnv, lines: string[]): string[] {
  return [header(version, 'create-link', '/tmp/ZSrKbRbivq', env.tmp), `${lines.length}\n`, ...lines.map((l) => `${l}\n`)];
}

async function sources(env: ServerEnv, names: string[]): Promise<string[]> {
  const dir = join(env.data, 'datadir');
  await mkdir(dir, { recursive: true });
  for (const n of names) await mkdir(join(dir, n), { recursive: true });
  return names.map((n) => join(dir, n));
}

test('unarmed: directories (0700) and symbolic links, made without a shell', () =>
  withServerEnv(async (env) => {
    const [mysql, semi, subst, backtick] = await sources(env, ['mysql', 'a;b', '$(id)', '`id`']);
    const links = join(env.data, 'backups', '20260101', 'ZRM_LINKS');
    const lines = [links, `${mysql} ${links}`, `${semi} ${links}`, `${subst} ${links}`, `${backtick} ${links}`, `${mysql} ${links}/renamed`];
    const r = await serve(env, request(LEGACY_VERSION, env, lines));
    assert.equal(r.status, 0, r.log);
    const status = parseStatus(r.output.toString());
    assert.equal(status.ok, true);
    assert.deepEqual(status.lines, [
      `mkdir ${links}`,
      `createLink ${mysql} ${links}/mysql`,
      `createLink ${semi} ${links}/a;b`,
      `createLink ${subst} ${links}/$(id)`,
      `createLink ${backtick} ${links}/\`id\``,
      `createLink ${mysql} ${links}/renamed`,
    ]);
    assert.equal((await lstat(links)).mode & 0o777, 0o700);
    assert.deepEqual((await readdir(links)).sort(), ['$(id)', '`id`', 'a;b', 'mysql', 'renamed']);
    for (const [name, target] of [['mysql', mysql], ['a;b', semi], ['$(id)', subst], ['`id`', backtick], ['renamed', mysql]] as const) {
      assert.equal(await readlink(join(links, name)), target, name);
    }
    // A shell would have run `b` or `id`; nothing but the links may exist.
    assert.deepEqual((await readdir(join(env.data, 'backups', '20260101'))), ['ZRM_LINKS']);
    assert.match(r.log, /createLink .*mysql -> .*ZRM_LINKS\/mysql/);
  }));

test('v2: OK, then the same status block', () =>
  withServerEnv(async (env) => {
    const [mysql] = await sources(env, ['mysql']);
    const links = join(env.data, 'ZRM_LINKS');
    const r = await serve(env, request(V2_VERSION, env, [links, `${mysql} ${links}`]));
    assert.equal(r.status, 0, r.log);
    assert.equal(r.output.toString(), `OK\nSUCCESS\n2\nmkdir ${links}\ncreateLink ${mysql} ${links}/mysql\n`);
  }));

test('like ln -s without -f: an existing target is an error, reported after the steps already done', () =>
  withServerEnv(async (env) => {
    const [mysql] = await sources(env, ['mysql']);
    const links = join(env.data, 'ZRM_LINKS');
    await mkdir(links);
    await writeFile(join(links, 'taken'), 'mine');
    const r = await serve(env, request(LEGACY_VERSION, env, [`${mysql} ${links}`, `${mysql} ${links}/taken`, `${mysql} ${links}/never`]));
    assert.equal(r.status, 1);
    const status = parseStatus(r.output.toString());
    assert.equal(status.ok, false);
    assert.equal(status.lines[0], `createLink ${mysql} ${links}/mysql`);
    assert.match(status.lines[1] ?? '', /^create-link failed: link target '.*\/taken' already exists$/);
    assert.equal(status.lines.length, 2);
    assert.equal(existsSync(join(links, 'never')), false, 'nothing after the failure is done');
    assert.equal((await lstat(join(links, 'taken'))).isFile(), true);
  }));

test('links and directories outside the allowed roots are refused', () =>
  withServerEnv(async (env) => {
    const [mysql] = await sources(env, ['mysql']);
    const cases: string[][] = [
      [join(env.root, 'outside-dir')],
      [`${mysql} ${join(env.root, 'outside-link')}`],
      [`/etc ${join(env.data, 'etc-link')}`],
      [`${mysql} ${env.data}/x/../../escape`],
      [`${mysql} ${env.data}/a ${env.data}/b`],
    ];
    for (const lines of cases) {
      const r = await serve(env, request(V2_VERSION, env, lines));
      assert.equal(r.status, 1, lines[0]);
      assert.ok(r.output.toString().startsWith('OK\n'));
      const status = parseStatus(r.output.toString().slice(3));
      assert.equal(status.ok, false, lines[0]);
      assert.match(status.lines.join(' '), /create-link failed: /, lines[0]);
    }
    assert.deepEqual((await readdir(env.root)).filter((n) => n.startsWith('outside') || n === 'escape'), []);
    assert.equal(existsSync(join(env.data, 'etc-link')), false);
  }));

test('armed: SUCCESS and nothing is created', () =>
  withServerEnv(async (env) => {
    await ensureStateDir(env.state);
    await armState(env.state, { user: 'zrm', password: 'secret' });
    const [mysql] = await sources(env, ['mysql']);
    const links = join(env.data, 'ZRM_LINKS');
    for (const version of [LEGACY_VERSION, V2_VERSION]) {
      const r = await serve(env, request(version, env, [links, `${mysql} ${links}`]));
      assert.equal(r.status, 0, r.log);
      const text = r.output.toString();
      assert.equal(text, `${version === V2_VERSION ? 'OK\n' : ''}SUCCESS\n1\nsnapshot redirect armed: 2 link line(s) not needed\n`);
      assert.equal(existsSync(links), false);
      assert.doesNotMatch(r.log, /secret/);
    }
  }));

test('a count line that is not a number, or fewer lines than announced: failed, nothing created', () =>
  withServerEnv(async (env) => {
    const links = join(env.data, 'ZRM_LINKS');
    const bad = await serve(env, [header(V2_VERSION, 'create-link', '/tmp/l', env.tmp), 'two\n', `${links}\n`]);
    assert.equal(bad.status, 1);
    // The client is reading a status block by then: the error comes as one.
    assert.equal(bad.output.toString(), "OK\nERROR\n1\ncreate-link list: expected a line count, got 'two'\n");
    const short = await serve(env, [header(LEGACY_VERSION, 'create-link', '/tmp/l', env.tmp), '3\n', `${links}\n`]);
    assert.equal(short.status, 1);
    assert.equal(short.output.toString(), 'ERROR\n1\ncreate-link list: stream ended after 1 of 3 lines\n');
    assert.equal(existsSync(links), false);
  }));
