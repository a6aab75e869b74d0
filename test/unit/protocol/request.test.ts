import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ProtocolError } from '../../../src/errors.js';
import { formatRequestHeader, validateLine, type RequestHeader } from '../../../src/protocol/request.js';
import { readRequestHeader } from '../../../src/server/header.js';
import { MAX_HEADER_LINE } from '../../../src/server/limits.js';
import { LEGACY_VERSION, STOCK_VERSION, V2_VERSION } from '../../../src/protocol/versions.js';
import { readerOf } from './streams.js';

const BOTH = [LEGACY_VERSION, V2_VERSION] as const;

const header: RequestHeader = {
  version: LEGACY_VERSION,
  action: 'copy from',
  params: `--source-file '/var/lib/mysql/ZRM_LINKS/.' --quiet "x" a=b;c+d^e$f*g:h`,
  tmpdir: '/tmp/zrm-1234',
  binpath: '/usr/bin',
};

test('the version strings', () => {
  assert.equal(LEGACY_VERSION, '1.8b5_palomino');
  assert.equal(V2_VERSION, '2.0_zrm-innobackupex');
  assert.equal(STOCK_VERSION, '1.8');
});

test('format then read gives the same header, with either accepted version', async () => {
  for (const version of BOTH) {
    const h = { ...header, version };
    const wire = formatRequestHeader(h);
    assert.equal(wire.split('\n').length, 6);
    assert.ok(wire.endsWith('/usr/bin\n'));
    const r = readerOf(`${wire}next line\n`, 3);
    assert.deepEqual(await readRequestHeader(r, BOTH), h);
    assert.equal(await r.readLine(), 'next line', 'reads exactly five lines');
  }
});

test('empty params are allowed', async () => {
  const h = { ...header, params: '' };
  assert.deepEqual(await readRequestHeader(readerOf(formatRequestHeader(h)), BOTH), h);
});

test('validateLine allows the 1.8b5 set', () => {
  validateLine(`AZaz09_ -*/"'.:;+=^$`, 'params');
  validateLine('', 'params');
});

test('validateLine refuses shell metacharacters and control characters', () => {
  for (const ch of ['|', '&', '`', '>', '<', '(', ')', '\\', '\0', '\t', '\r', '\n', '!', '#', '{', '~', '?', '[', '%', ',', '@', 'é']) {
    assert.throws(() => validateLine(`ok${ch}ok`, 'params'), ProtocolError, JSON.stringify(ch));
  }
  assert.throws(() => validateLine('a|b', 'params'), /params holds a character that is not allowed \("\|"\)/);
});

test('unknown versions are refused with what was expected', async () => {
  const wire = (v: string): string => formatRequestHeader({ ...header, version: v });
  await assert.rejects(readRequestHeader(readerOf(wire('9.9')), BOTH), (err: unknown) => {
    assert.ok(err instanceof ProtocolError);
    assert.match(err.message, /"9\.9"/);
    assert.match(err.message, /1\.8b5_palomino/);
    assert.match(err.message, /2\.0_zrm-innobackupex/);
    return true;
  });
  await assert.rejects(readRequestHeader(readerOf(wire(STOCK_VERSION)), BOTH), /stock ZRM's socket-copy\.pl/);
  await assert.rejects(readRequestHeader(readerOf(wire(V2_VERSION)), [LEGACY_VERSION]), /this server speaks 1\.8b5_palomino$/);
  await assert.rejects(readRequestHeader(readerOf(wire(`${LEGACY_VERSION}\r`)), BOTH), /unsupported protocol version/);
});

test('the protocol is known as soon as the version line is read, even when a later line is bad', async () => {
  const seen: string[] = [];
  const bad = formatRequestHeader({ ...header, version: V2_VERSION, params: 'a|b' });
  await assert.rejects(readRequestHeader(readerOf(bad), BOTH, (p) => seen.push(p)), /params holds a character/);
  assert.deepEqual(seen, ['v2']);
});

test('EOF and bad characters in the header are ProtocolErrors', async () => {
  await assert.rejects(readRequestHeader(readerOf(''), BOTH), /closed the connection before sending a request/);
  await assert.rejects(readRequestHeader(readerOf(`${LEGACY_VERSION}\ncopy from\n`), BOTH), /request ended before its params line/);
  await assert.rejects(readRequestHeader(readerOf(`${LEGACY_VERSION}\ncopy from\nx\n/tmp`), BOTH), /middle of a line/);
  const bad = formatRequestHeader({ ...header, params: "--source-file '/x' ; rm -rf / | cat" });
  await assert.rejects(readRequestHeader(readerOf(bad), BOTH), /params holds a character/);
  const badTmp = formatRequestHeader({ ...header, tmpdir: '/tmp/$(reboot)' });
  await assert.rejects(readRequestHeader(readerOf(badTmp), BOTH), /tmpdir holds a character/);
});

test('a header line longer than the bound is refused before it is all buffered', async () => {
  const long = formatRequestHeader({ ...header, params: 'a'.repeat(MAX_HEADER_LINE + 1) });
  await assert.rejects(readRequestHeader(readerOf(long, 4096), BOTH), /line longer than 65536 bytes/);
  const atBound = formatRequestHeader({ ...header, params: 'a'.repeat(MAX_HEADER_LINE) });
  assert.equal((await readRequestHeader(readerOf(atBound, 4096), BOTH)).params.length, MAX_HEADER_LINE);
  await assert.rejects(readRequestHeader(readerOf(`${'1'.repeat(300)}\n`), BOTH), /line longer than 256 bytes/);
});

test('formatRequestHeader refuses a field holding a newline', () => {
  assert.throws(() => formatRequestHeader({ ...header, params: 'a\nb' }), ProtocolError);
});
