// Bundles each program into one ESM file with every dependency inside: what the packages ship.
// One file a program on purpose: a socket server or copy plugin busy with a long backup while
// the package is upgraded keeps all of its code (split chunks would be deleted under it).
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
 * esbuild lifts every function of a bundled ES module to the top level of the bundle, where V8
 * makes an object for each (and the code cache holds them all) even when no call runs the
 * module. execa, an ES module of 156 KB that a snapshot call never runs, is bundled as
 * CommonJS first: then its code is one function, compiled when the module is first required
 * (which a static import does where the importing module runs, as before). The plugins' code
 * cache made before the run falls from 150 to 74 KB.
 */
const AS_COMMONJS = ['execa'];
const esmAsCommonJs = {
  name: 'esm-as-commonjs',
  setup(b) {
    b.onResolve({ filter: new RegExp(`^(${AS_COMMONJS.join('|')})$`) }, (args) => ({ path: args.path, namespace: 'as-commonjs' }));
    b.onLoad({ filter: /.*/, namespace: 'as-commonjs' }, async (args) => {
      const r = await build({
        stdin: { contents: `export * from ${JSON.stringify(args.path)};`, resolveDir: new URL('..', import.meta.url).pathname },
        write: false,
        bundle: true,
        platform: 'node',
        target: 'node18',
        format: 'cjs',
        logLevel: 'warning',
      });
      return { contents: r.outputFiles[0].text, loader: 'js' };
    });
  },
};

/**
 * The file: an optional #! line, then a line that imports createRequire and carries the tag the
 * packaged launcher (packaging/launchers/zrm-launcher) looks for, with the SHA-256 of the
 * program (V8 itself checks only the length of the source it has cached code for), then the
 * program: the bundle's code inside `(function (require) {'use strict'; ... })`, called with a
 * require in the last line. The launcher compiles exactly that text (a slice of the file, so
 * V8 gets it without a copy) as a classic script with V8's code cache; Node runs the file as
 * the ES module it is. Both run the same function. (A launcher of a version before this form
 * looked for another tag: met in the middle of an upgrade, it imports the file as a module.)
 */
const PROGRAM_TAG = '// zrm-program sha256=';
const HEAD = `import { createRequire as __zrmCreateRequire } from 'node:module'; ${PROGRAM_TAG}`;
const CALL = '(__zrmCreateRequire(import.meta.url));\n';

mkdirSync(new URL('../dist/app/', import.meta.url), { recursive: true });

/** Bundles the program `entry` (under src/) into dist/app/`name`, in the form above. */
async function bundleProgram(entry, name) {
  const outfile = new URL(`../dist/app/${name}`, import.meta.url).pathname;
  const result = await build({
    entryPoints: [new URL(`../src/${entry}`, import.meta.url).pathname],
    outfile,
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node18',
    format: 'esm',
    plugins: [builtinsOnFirstUse, esmAsCommonJs],
    // Less for V8 to parse on every plugin call; names are kept, so stack traces still read.
    minifyWhitespace: true,
    minifySyntax: true,
    // scripts/package.sh builds the packages' bundle with their version (2.1.0-dev.… between releases).
    define: { __ZRM_INNOBACKUPEX_VERSION__: JSON.stringify(process.env.ZRM_BUILD_VERSION || pkg.version) },
    legalComments: 'none',
    logLevel: 'warning',
  });
  let body = result.outputFiles[0].text;
  let hashbang = '';
  if (body.startsWith('#!')) {
    hashbang = body.slice(0, body.indexOf('\n') + 1);
    body = body.slice(hashbang.length);
  }
  // The launcher runs the program as a script: an import() or import.meta left in it would fail
  // there, on a plugin call, instead of here; so would an import or export statement.
  if (/\bimport\s*\(|\bimport\.meta\b/.test(body)) {
    throw new Error(`bundle ${name}: the program uses import() or import.meta; the launcher cannot run it as a script`);
  }
  const program = `(function (require) {'use strict';\n${body}\n})`;
  // ... and as the body of a function: a top-level await or an export, say, must fail the build.
  new Script(program, { filename: outfile });
  const hash = createHash('sha256').update(program).digest('hex');
  writeFileSync(outfile, `${hashbang}${HEAD}${hash}\n${program}${CALL}`);
  chmodSync(outfile, 0o755);
}

// The whole program, and the plugins' own: the launcher runs the second when ZRM calls the
// snapshot or copy plugin, less than half the code to load (src/pluginMain.ts).
await bundleProgram('main.ts', 'zrm-innobackupex.mjs');
await bundleProgram('pluginMain.ts', 'zrm-plugins.mjs');
