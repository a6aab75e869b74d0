import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { armState, ensureStateDir } from '../../../src/snapshot/state.js';
import { readCompressedV2 } from '../../../src/protocol/compressionFrames.js';
import { V21_VERSION, V22_VERSION, parseOkDetails } from '../../../src/protocol/versions.js';
import { readV2Frames } from '../../../src/protocol/v2Frames.js';
import { StreamReader } from '../../../src/protocol/streamReader.js';
import { Readable } from 'node:stream';
import { FIXTURES, V2_VERSION, collect, header, serve, withServerEnv, type ServerEnv } from './harness.js';

// Protocol 2.2: the encodings travel on the version line, the server names its choice on the OK
// line (`compression=gzip:1`) and sends the payload compressed; `[server] compression = no` and
// clients of 2.1 and 2.0 get raw frames and the OK line they know; max_v2_version = 2.1 hangs up on 2.2.

const TOOL = join(FIXTURES, '..', 'backupTool', 'report-and-succeed.sh');
const TOOL_CONFIG = `[backup]\ntool = innobackupex\ntool_path = ${TOOL}\n`;

/** The OK line, and a reader of what follows it. */
function split(out: Buffer): { line: string; rest: StreamReader } {
  const nl = out.indexOf(0x0a);
  return { line: out.subarray(0, Math.max(nl, 0)).toString('latin1'), rest: new StreamReader(Readable.from([out.subarray(nl + 1)])) };
}

async function tarNames(archive: Buffer): Promise<string[]> {
  const r = await execa('tar', ['-tf', '-'], { input: archive });
  return r.stdout.split('\n').filter((l) => l !== '').sort();
}

async function binlogs(env: ServerEnv): Promise<string> {
  const dir = join(env.data, 'binlogs');
  await mkdir(dir);
  // Compressible, as binary logs and table files are.
  await writeFile(join(dir, 'mysql-bin.000001'), 'INSERT INTO sbtest1 VALUES (1, 42, "68487932199-96439406143-93774651418");\n'.repeat(4000));
  return join(dir, 'mysql-bin.000001');
}

test('2.2 copy from with gzip:1 offered: OK tar compression=gzip:1, the tar arrives compressed and whole', () =>
  withServerEnv(async (env) => {
    const file = await binlogs(env);
    const r = await serve(env, [header(`${V22_VERSION} lz4 gzip:1`, 'copy from', file, env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, rest } = split(r.output);
    const { word, details } = parseOkDetails(line.slice(3));
    assert.equal(word, 'tar');
    assert.equal(details.get('compression'), 'gzip:1');
    const archive = await collect(readCompressedV2(rest, 'gzip'));
    assert.deepEqual(await tarNames(archive), ['mysql-bin.000001']);
    assert.ok(r.output.length * 4 < archive.length, `compressed on the wire: ${r.output.length} bytes for a ${archive.length}-byte tar`);
    assert.match(r.log, /sent \d+ bytes as \d+ on the wire \(gzip:1, [\d.]+:1, \d+ of \d+ blocks stored/);
  }));

test('2.2 armed backup: OK <format> size=... compression=gzip:1', () =>
  withServerEnv(async (env) => {
    await ensureStateDir(env.state);
    await armState(env.state, { user: 'u', password: 'p' });
    const links = join(env.data, 'backup', 'ZRM_LINKS');
    await mkdir(links, { recursive: true });
    const r = await serve(env, [header(`${V22_VERSION} gzip:6`, 'copy from', `${links}/.`, env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, rest } = split(r.output);
    const { word, details } = parseOkDetails(line.slice(3));
    assert.equal(word, 'tar');
    assert.equal(details.get('compression'), 'gzip:6');
    assert.ok(details.has('size'));
    assert.ok((await collect(readCompressedV2(rest, 'gzip'))).length > 0);
  }, TOOL_CONFIG));

test('2.2 with [server] compression = no: no compression detail, raw frames', () =>
  withServerEnv(async (env) => {
    const file = await binlogs(env);
    const r = await serve(env, [header(`${V22_VERSION} gzip:1`, 'copy from', file, env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, rest } = split(r.output);
    assert.equal(line, 'OK tar');
    assert.deepEqual(await tarNames(await collect(readV2Frames(rest))), ['mysql-bin.000001']);
  }, '[server]\ncompression = no\n'));

test('2.2 offering only encodings this server lacks: raw frames, no detail', () =>
  withServerEnv(async (env) => {
    const file = await binlogs(env);
    const r = await serve(env, [header(`${V22_VERSION} lz4 br:5`, 'copy from', file, env.tmp)]);
    assert.equal(r.status, 0, r.log);
    const { line, rest } = split(r.output);
    assert.equal(line, 'OK tar');
    assert.equal((await collect(readV2Frames(rest))).length % 512, 0);
  }));

test('2.0 and 2.1 clients get the OK line they know and raw frames, whatever [server] compression says', () =>
  withServerEnv(async (env) => {
    const file = await binlogs(env);
    for (const version of [V2_VERSION, V21_VERSION]) {
      const r = await serve(env, [header(version, 'copy from', file, env.tmp)]);
      assert.equal(r.status, 0, r.log);
      const { line, rest } = split(r.output);
      assert.equal(line, 'OK tar', version);
      assert.deepEqual(await tarNames(await collect(readV2Frames(rest))), ['mysql-bin.000001']);
    }
  }));

test('encodings after any version but 2.2, or malformed ones, are refused like an unknown version: a hang-up without a word', () =>
  withServerEnv(async (env) => {
    const file = await binlogs(env);
    for (const line of [`${V21_VERSION} gzip:1`, `${V2_VERSION} gzip`, `${V22_VERSION}  gzip:1`, `${V22_VERSION} GZIP`, `${V22_VERSION} gzip:1 `]) {
      const r = await serve(env, [header(line, 'copy from', file, env.tmp)]);
      assert.equal(r.status, 1, line);
      assert.equal(r.output.length, 0, line);
    }
  }));

test('max_v2_version = 2.1: a 2.2 request is hung up on without a word (as a 2.1 server does), 2.1 still served', () =>
  withServerEnv(async (env) => {
    const file = await binlogs(env);
    const refused = await serve(env, [header(`${V22_VERSION} gzip:1`, 'copy from', file, env.tmp)]);
    assert.equal(refused.status, 1);
    assert.equal(refused.output.length, 0);
    assert.match(refused.log, /unsupported protocol version/);
    const served = await serve(env, [header(V21_VERSION, 'copy from', file, env.tmp)]);
    assert.equal(split(served.output).line, 'OK tar', served.log);
  }, '[server]\nmax_v2_version = 2.1\n'));
