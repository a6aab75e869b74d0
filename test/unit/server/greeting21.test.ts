import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { armState, ensureStateDir } from '../../../src/snapshot/state.js';
import { V21_VERSION, parseOkDetails } from '../../../src/protocol/versions.js';
import { treeSize } from '../../../src/fsutil/treeSize.js';
import { V2_VERSION, header, serve, withServerEnv, type ServerEnv } from './harness.js';

// Protocol 2.1: the OK line before a backup carries `size=<bytes of the datadir>` for a client
// that asked in 2.1; a 2.0 client gets exactly `OK <format>`; max_v2_version = 2.0 hangs up on 2.1.

const TOOL = fileURLToPath(new URL('../../../../test/fixtures/backupTool/report-and-succeed.sh', import.meta.url));

async function armedRequest(env: ServerEnv, version: string) {
  await ensureStateDir(env.state);
  await armState(env.state, { user: 'u', password: 'p' });
  const links = join(env.data, 'backup', 'ZRM_LINKS');
  await mkdir(links, { recursive: true });
  return serve(env, [header(version, 'copy from', `${links}/.`, env.tmp)]);
}

const okLine = (out: Buffer): string => out.subarray(0, out.indexOf(0x0a)).toString('latin1');

async function fillDatadir(env: ServerEnv): Promise<string> {
  const datadir = join(env.data, 'datadir');
  await mkdir(join(datadir, 'db1'), { recursive: true });
  await writeFile(join(datadir, 'ibdata1'), Buffer.alloc(12_345));
  await writeFile(join(datadir, 'db1', 't.ibd'), Buffer.alloc(1000));
  return datadir;
}

const TOOL_CONFIG = `[backup]\ntool = innobackupex\ntool_path = ${TOOL}\n`;

test('2.1 copy from, armed: OK <format> size=<bytes under the datadir>', () =>
  withServerEnv(async (env) => {
    env.config.backup.datadir = await fillDatadir(env);
    const r = await armedRequest(env, V21_VERSION);
    assert.equal(r.status, 0, r.log);
    const line = okLine(r.output);
    assert.match(line, /^OK /);
    const { word, details } = parseOkDetails(line.slice(3));
    assert.equal(word, 'tar');
    assert.equal(details.get('size'), String(12_345 + 1000));
  }, TOOL_CONFIG));

test('2.0 copy from, armed: exactly OK <format>, which a 2.0 client accepts', () =>
  withServerEnv(async (env) => {
    env.config.backup.datadir = await fillDatadir(env);
    const r = await armedRequest(env, V2_VERSION);
    assert.equal(r.status, 0, r.log);
    assert.equal(okLine(r.output), 'OK tar');
  }, TOOL_CONFIG));

test('max_v2_version = 2.0: a 2.1 request is hung up on without a word (as a 2.0 server does), 2.0 still served', () =>
  withServerEnv(async (env) => {
    const refused = await armedRequest(env, V21_VERSION);
    assert.equal(refused.status, 1);
    assert.equal(refused.output.length, 0);
    const served = await armedRequest(env, V2_VERSION);
    assert.equal(okLine(served.output), 'OK tar', served.log);
  }, `${TOOL_CONFIG}[server]\nmax_v2_version = 2.0\n`));

test('treeSize counts regular files only (a file is its own size), and gives up (undefined) past its entry budget', async () =>
  withServerEnv(async (env) => {
    const datadir = await fillDatadir(env);
    assert.equal(await treeSize(datadir), 13_345);
    assert.equal(await treeSize(datadir, { maxEntries: 1 }), undefined);
    assert.equal(await treeSize(join(env.data, 'missing')), 0);
    assert.equal(await treeSize(join(datadir, 'ibdata1')), 12_345);
  }));
