import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { sendV2Error } from '../../../src/server/reply.js';

async function errorLine(protocol: 'v2' | 'legacy', message: string): Promise<string> {
  const output = new PassThrough();
  const got: Buffer[] = [];
  output.on('data', (c: Buffer) => got.push(c));
  await sendV2Error({ protocol, output }, message);
  return Buffer.concat(got).toString();
}

test('sendV2Error writes exactly one ERROR line, whatever the message holds', async () => {
  assert.equal(await errorLine('v2', 'plain'), 'ERROR plain\n');
  assert.equal(await errorLine('v2', 'two\nlines\r\nSUCCESS\n0'), 'ERROR two lines SUCCESS 0\n');
});

test('sendV2Error sends nothing to a 1.8b5 client', async () => {
  assert.equal(await errorLine('legacy', 'anything'), '');
});
