// Bundles the app into one ESM file with every dependency inside: what the packages ship.
// One file on purpose: a socket server or copy plugin busy with a long backup while the package
// is upgraded keeps all of its code (split chunks would be deleted under it).
import { readFileSync, mkdirSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
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
      const contents = `const m = require(${JSON.stringify(`node:${args.path}`)});\nexport default m;\nexport const { ${names.join(', ')} } = m;\n`;
      return { contents, loader: 'js' };
    });
  },
};

mkdirSync(new URL('../dist/app/', import.meta.url), { recursive: true });
await build({
  entryPoints: [new URL('../src/main.ts', import.meta.url).pathname],
  outfile: new URL('../dist/app/zrm-innobackupex.mjs', import.meta.url).pathname,
  bundle: true,
  platform: 'node',
  target: 'node18',
  format: 'esm',
  plugins: [builtinsOnFirstUse],
  // Less for V8 to parse on every plugin call; names are kept, so stack traces still read.
  minifyWhitespace: true,
  minifySyntax: true,
  // Bundled CommonJS dependencies (winston) and the built-ins above call require(); give them one.
  banner: { js: "import { createRequire as __zrmCreateRequire } from 'node:module'; const require = __zrmCreateRequire(import.meta.url);" },
  // scripts/package.sh builds the packages' bundle with their version (2.1.0-dev.… between releases).
  define: { __ZRM_INNOBACKUPEX_VERSION__: JSON.stringify(process.env.ZRM_BUILD_VERSION || pkg.version) },
  legalComments: 'none',
  logLevel: 'warning',
});
