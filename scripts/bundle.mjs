// Bundles the app into one ESM file with every dependency inside: what the packages ship.
import { readFileSync, mkdirSync } from 'node:fs';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
mkdirSync(new URL('../dist/app/', import.meta.url), { recursive: true });
await build({
  entryPoints: [new URL('../src/main.ts', import.meta.url).pathname],
  outfile: new URL('../dist/app/zrm-innobackupex.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  // Bundled CommonJS dependencies (winston) still call require(); give them one.
  banner: { js: "import { createRequire as __zrmCreateRequire } from 'node:module'; const require = __zrmCreateRequire(import.meta.url);" },
  // scripts/package.sh builds the packages' bundle with their version (2.1.0-dev.… between releases).
  define: { __ZRM_INNOBACKUPEX_VERSION__: JSON.stringify(process.env.ZRM_BUILD_VERSION || pkg.version) },
  legalComments: 'none',
  logLevel: 'warning',
});
