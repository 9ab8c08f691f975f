// Bundles the CLI into one CommonJS file, dist/bundle/cli.cjs, the file bin/bgrun.js loads.
// Why: Node starts a CommonJS entry without its ES module loader and reads one file instead
// of one per module, which makes every command answer 10 to 35 ms sooner (BENCHMARKS.md).
// The library (dist/index.js) and the supervisor (dist/supervisor/main.js) stay as tsc emits them.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outfile = path.join(root, 'dist', 'bundle', 'cli.cjs');

const result = await build({
  entryPoints: [path.join(root, 'src', 'bin.ts')],
  outfile,
  write: false,
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.5',
  // Dynamic import() stays lazy in the bundle: a module runs only when a command needs it.
  // import.meta.url has no CommonJS equivalent: the bundle's own URL stands in for it.
  define: { 'import.meta.url': '__bgrunBundleUrl' },
  // The YAML parser (pm2 process files) stays a package of its own: required only when such a
  // file is read, so its code is not parsed by every command that loads the bundle.
  external: ['yaml'],
  banner: {
    js: [
      "const __bgrunBundleUrl = require('node:url').pathToFileURL(__filename).href;",
      "const __bgrunImport = (specifier) => require('./import.cjs')(specifier);",
      'const __bgrunBuiltins = new Map();',
      'function __bgrunBuiltin(id) {',
      '  let wrapped = __bgrunBuiltins.get(id);',
      '  if (!wrapped) __bgrunBuiltins.set(id, (wrapped = __toESM(require(id), 1)));',
      '  return wrapped;',
      '}',
    ].join('\n'),
  },
  legalComments: 'none',
  logLevel: 'warning',
});

// esbuild wraps a built-in module for each module that imports it, copying every property
// of node:fs (some 100) about 30 times: 10 ms of a `bgrun start`. One wrapper per built-in.
const wrap = /__toESM\(require\("(node:[a-z_/]+)"\), 1\)/g;
const code = result.outputFiles[0].text;
const shared = code.replace(wrap, '__bgrunBuiltin("$1")');
if (shared === code) throw new Error('bundle-cli: no built-in import to share; esbuild changed its output, update the pattern');

// On Nodes without a compile cache, bin/load-cli.js compiles the bundle through node:vm with
// a code cache, and a dynamic import() in code compiled that way has no module loader to call
// (without an experimental option that prints a warning and fails once the cache is used).
// The import()s the CLI needs (config files written as ES modules, the YAML parser for pm2
// process files, the YAML writer of export kubernetes) go through a file that Node loads itself.
const dynamicImport = /(?<![\w$.])import\(/g;
const imports = shared.match(dynamicImport)?.length ?? 0;
if (imports !== 3) throw new Error(`bundle-cli: expected three dynamic import()s in the bundle (config files, yaml twice), found ${imports}; update this script`);
const bundled = shared.replace(dynamicImport, '__bgrunImport(');
fs.mkdirSync(path.dirname(outfile), { recursive: true });
fs.writeFileSync(outfile, bundled);
fs.writeFileSync(path.join(path.dirname(outfile), 'import.cjs'), '// Dynamic import() for the CLI bundle (see scripts/bundle-cli.mjs).\nmodule.exports = (specifier) => import(specifier);\n');
