// npm run test:fuzz: FUZZ_CASES (default 100000) cases from FUZZ_SEED (default: random, printed).
import { runFuzz } from './engine.js';

async function main(): Promise<number> {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) >>> 0 : (Math.random() * 2 ** 32) >>> 0;
  const cases = Number(process.env.FUZZ_CASES ?? 100_000);
  process.stdout.write(`fuzz: ${cases} cases, FUZZ_SEED=${seed}\n`);
  const started = Date.now();
  const r = await runFuzz({ seed, cases, log: (l) => process.stdout.write(`${l}\n`) });
  const per = Object.entries(r.perTarget).map(([k, v]) => `${k}=${v}`).join(' ');
  process.stdout.write(
    `fuzz: ${r.cases} cases clean in ${((Date.now() - started) / 1000).toFixed(1)} s (${r.refusals} refused cleanly; ${per}); max RSS ${r.maxRssMb} MB; FUZZ_SEED=${seed}\n`,
  );
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
