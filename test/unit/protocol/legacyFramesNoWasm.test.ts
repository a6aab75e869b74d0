// A runtime without WebAssembly (node --jitless has none) codes 1.8b5 frames with the JS loops:
// the same bytes as the shared vectors, both ways, in a child Node started that way.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { vectorsDir } from './streams.js';

const modules = new URL('../../../src/protocol/', import.meta.url).href;

// Encodes and decodes every vector; prints what it did, or throws.
const child = `
import { readFileSync } from 'node:fs';
import { Writable } from 'node:stream';
const { uuKernel } = await import('${modules}uuSimd.js');
const { LegacySender, readLegacyFrames } = await import('${modules}legacyFrames.js');
const { StreamReader } = await import('${modules}streamReader.js');
if (typeof WebAssembly !== 'undefined' || uuKernel() !== null) throw new Error('WebAssembly is here');
const [dir, ...names] = process.argv.slice(1);
for (const name of names) {
  const input = readFileSync(dir + '/' + name + '.in');
  const framed = readFileSync(dir + '/' + name + '.framed');
  const parts = [];
  const sender = new LegacySender(new Writable({ write(c, e, cb) { parts.push(c); cb(); } }));
  for (let i = 0; i < input.length; i += 65536) sender.send(input.subarray(i, i + 65536));
  await sender.end();
  if (!Buffer.concat(parts).equals(framed)) throw new Error(name + ': encoded differently');
  const out = [];
  for await (const b of readLegacyFrames(new StreamReader((async function* () { yield framed; })()))) out.push(b);
  if (!Buffer.concat(out).equals(input)) throw new Error(name + ': decoded differently');
}
console.log('coded ' + names.length + ' vectors without WebAssembly');
`;

test('without WebAssembly (node --jitless) the JS loops code every vector exactly', () => {
  const dir = join(vectorsDir(), 'uuframe');
  const names = readdirSync(dir).filter((f) => f.endsWith('.in')).map((f) => f.slice(0, -3));
  assert.ok(names.length >= 8);
  const out = execFileSync(process.execPath, ['--jitless', '--input-type=module', '-e', child, dir, ...names], { encoding: 'utf8' });
  assert.equal(out.trim(), `coded ${names.length} vectors without WebAssembly`);
});
