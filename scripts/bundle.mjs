// Bundles the app into one ESM file with every dependency inside: what the packages ship.
// One file on purpose: a socket server or copy plugin busy with a long backup while the package
// is upgraded keeps all of its code (split chunks would be deleted under it).
import { createHash } from 'node:crypto';
import { chmodSync, readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { Script } from 'node:vm';
import { build } from 'esbuild';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const requireHere = createRequire(import.meta.url);

/**
 * Node's own modules are loaded by require() when the bundled module that uses them is first
 * run, not by `import` at the top of the bundle: esbuild hoists those imports, and Node would
 * then load every built-in any command uses (tls, crypto, child_process, ...) and make an ES
 * module facade for each, on every plugin call. A module reached only by `await import()` runs
 * when that import runs, so a snapshot call loads only the built-ins its own code needs.
 */
const builtinsOnFirstUse = {
  name: 'builtins-on-first-use',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z0-9_/]+$/ }, (args) => {
      const name = args.path.replace(/^node:/, '');
      if (!builtinModules.includes(name)) return undefined;
      if (args.kind === 'require-call') return { path: `node:${name}`, external: true };
      return { path: name, namespace: 'builtin' };
    });
    b.onLoad({ filter: /.*/, namespace: 'builtin' }, (args) => {
      // The names this Node's module exports; a name the code imports that is not among them
      // fails the build (esbuild: no matching export), never a plugin call.
      const names = Object.keys(requireHere(`node:${args.path}`)).filter((k) => k !== 'default' && /^[A-Za-z_$][\w$]*$/.test(k));
      // Each name is read by a call esbuild may drop (pure) when no module imports that name:
      // destructuring them all would run Node's lazy getters (fs.ReadStream and fs.promises
      // load the whole stream stack, net.BlockList, util.TextDecoder, ...) on every call.
      const lines = names.map((k) => `export const ${k} = /* @__PURE__ */ pick(${JSON.stringify(k)});`);
      const contents = `const m = require(${JSON.stringify(`node:${args.path}`)});\nconst pick = (k) => m[k];\nexport default m;\n${lines.join('\n')}\n`;
      return { contents, loader: 'js' };
    });
  },
};

/**
 * The first line after an optional #!: the packaged launchers (packaging/launchers) find the
 * program's text after it, run that as a classic script with V8's code cache, and key the cache
 * by the SHA-256 written here (V8 itself checks only the length of the source).
 */
const BODY_TAG = '// zrm-bundle-body sha256=';
const HASH_PLACEHOLDER = '0'.repeat(64);
const BANNER = `import { createRequire as __zrmCreateRequire } from 'node:module'; const require = __zrmCreateRequire(import.meta.url); ${BODY_TAG}${HASH_PLACEHOLDER}`;

const outfile = new URL('../dist/app/zrm-innobackupex.mjs', import.meta.url).pathname;
mkdirSync(new URL('../dist/app/', import.meta.url), { recursive: true });
const result = await build({
  entryPoints: [new URL('../src/main.ts', import.meta.url).pathname],
  outfile,
  write: false,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  plugins: [builtinsOnFirstUse],
  // Less for V8 to parse on every plugin call; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  // Bundled CommonJS dependencies (winston) and the built-ins above call require(); give them one.
  banner: { js: BANNER },
  // scripts/package.sh builds the packages' bundle with their version (2.1.0-dev.… between releases).
  define: { __ZRM_INNOBACKUPEX_VERSION__: JSON.stringify(process.env.ZRM_BUILD_VERSION || pkg.version) },
  legalComments: 'none',
  logLevel: 'warning',
});

const text = result.outputFiles[0].text;
const bannerAt = text.indexOf(BANNER);
const bodyAt = text.indexOf('\n', bannerAt) + 1;
if (bannerAt < 0 || bodyAt === 0) throw new Error('bundle: the banner line is missing');
const body = text.slice(bodyAt);
// The launchers run the body as a script: an import() or import.meta left in it would fail
// there, on a plugin call, instead of here.
if (/\bimport\s*\(|\bimport\.meta\b/.test(body)) {
  throw new Error('bundle: the program uses import() or import.meta below the banner; the launchers cannot run it as a script');
}
// ... and as the body of a function: a top-level await, say, must fail the build too.
new Script(`(function (require) {'use strict';\n${body}\n})`, { filename: outfile });
const hash = createHash('sha256').update(body).digest('hex');
writeFileSync(outfile, text.slice(0, bodyAt).replace(HASH_PLACEHOLDER, hash) + body);
chmodSync(outfile, 0o755);
