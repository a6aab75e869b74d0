import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFuzz } from '../../fuzz/engine.js';

// The seeded share of `npm run test:fuzz` that every `npm test` runs (the request reader, both
// frame decoders, the xbstream reader and the upload link check). FUZZ_SEED picks another seed.
test('fuzz share: 3000 cases from a fixed seed, no crash, no hang, bounded RSS, nothing touched outside', async (t) => {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : 20261129;
  const r = await runFuzz({ seed, cases: 3000 });
  t.diagnostic(`fuzz: ${r.cases} cases, FUZZ_SEED=${seed}, ${r.refusals} refused cleanly, max RSS ${r.maxRssMb} MB`);
  assert.equal(r.cases, 3000);
  for (const name of ['request', 'legacy-frames', 'v2-frames', 'xbstream-parse', 'xbstream-extract', 'upload-links', 'upload-tar']) {
    assert.ok((r.perTarget[name] ?? 0) > 0, `no case reached ${name}`);
  }
});
