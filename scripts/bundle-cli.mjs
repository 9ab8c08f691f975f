// Bundles the CLI into CommonJS files, the ones bin/bgrun.js loads:
//   dist/bundle/cli.cjs       the everyday commands (start, list, logs, stop, ...), from src/bin.ts
//   dist/bundle/cli-rare.cjs  the whole CLI, from src/cli.ts, for the commands marked `rare` in
//                             src/commands/table.ts (export, import, monit, run, completion, ...)
// Why: Node starts a CommonJS entry without its ES module loader and reads one file instead
// of one per module, which makes every command answer 10 to 35 ms sooner (BENCHMARKS.md). And
// every command reads and compiles the whole file it loads (580 KB with every command, ~5 ms of
// a `start`), so the rare commands, which are most of the code, are in the second file: the
// first one hands them the whole command line (src/cli.ts) and never includes their modules.
// The second is self-contained (its own copy of what both need): nothing crosses between the
// two but the command line and the output functions.
// The library (dist/index.js) and the supervisor (dist/supervisor/main.js) stay as tsc emits them.
// Runs after tsc (npm run build): which commands are rare is read from its dist/commands/table.js.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const outdir = path.join(root, 'dist', 'bundle');
const commands = path.join(root, 'src', 'commands');

/** The modules (src/commands/<name>.ts) that only rare commands load: the everyday bundle leaves them out. */
async function rareModules() {
  const { COMMAND_TABLE } = await import(pathToFileURL(path.join(root, 'dist', 'commands', 'table.js')).href);
  const rare = new Set();
  const everyday = new Set();
  for (const entry of COMMAND_TABLE) {
    const module = /\bimport\(['"]\.\/([\w-]+)\.js['"]\)/.exec(String(entry.load))?.[1];
    if (!module) throw new Error(`bundle-cli: cannot tell which module the command '${entry.name}' loads; update this script`);
    (entry.rare ? rare : everyday).add(path.join(commands, `${module}.ts`));
  }
  for (const file of everyday) rare.delete(file);
  if (rare.size === 0) throw new Error('bundle-cli: no rare command; update this script');
  return rare;
}

/** In the everyday bundle, a rare command's module is a stub: the dispatcher never loads it there. */
function leaveOut(modules) {
  return {
    name: 'bgrun-leave-out-rare',
    setup(b) {
      b.onResolve({ filter: /^\.\/[\w-]+\.js$/ }, (args) => {
        if (args.kind !== 'dynamic-import' || path.dirname(args.importer) !== commands) return undefined;
        const file = path.join(commands, args.path.replace(/\.js$/, '.ts'));
        // A path relative to the checkout: the bundle names it, and names no folder of this machine.
        return modules.has(file) ? { path: path.relative(root, file), namespace: 'bgrun-rare' } : undefined;
      });
      b.onLoad({ filter: /.*/, namespace: 'bgrun-rare' }, (args) => ({
        contents: `throw new Error(${JSON.stringify(`bgrun: ${path.basename(args.path, '.ts')} is in dist/bundle/cli-rare.cjs, which cli.ts runs rare commands from`)});`,
        loader: 'js',
      }));
    },
  };
}

/**
 * @param {string} entry  a module of src/
 * @param {string} name   the output file, in dist/bundle/
 * @param {string[]} banner  lines before the bundle
 * @param {import('esbuild').Plugin[]} plugins
 */
async function bundle(entry, name, banner, plugins) {
  const result = await build({
    entryPoints: [path.join(root, 'src', entry)],
    write: false,
    outfile: path.join(outdir, name),
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
    plugins,
    banner: {
      js: [
        "const __bgrunBundleUrl = require('node:url').pathToFileURL(__filename).href;",
        "const __bgrunImport = (specifier) => require('./import.cjs')(specifier);",
        // A built-in as an ES module import sees it: its exports, and itself as `default`. Its
        // exports through the prototype, live and without copying them (esbuild's __toESM
        // defines a getter for each of node:fs's ~100).
        'const __bgrunBuiltins = new Map();',
        'function __bgrunBuiltin(id) {',
        '  let wrapped = __bgrunBuiltins.get(id);',
        '  if (!wrapped) {',
        '    const mod = require(id);',
        "    __bgrunBuiltins.set(id, (wrapped = Object.create(mod, { default: { value: mod, enumerable: true } })));",
        '  }',
        '  return wrapped;',
        '}',
        ...banner,
      ].join('\n'),
    },
    legalComments: 'none',
    logLevel: 'warning',
  });

  // esbuild wraps a built-in module for each module that imports it, copying every property
  // of node:fs (some 100) about 30 times: 10 ms of a `bgrun start`. One cheap wrapper per built-in.
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
  fs.writeFileSync(path.join(outdir, name), shared.replace(dynamicImport, '__bgrunImport('));
  return imports;
}

const rare = await rareModules();
fs.mkdirSync(outdir, { recursive: true });
const imports = [
  await bundle('bin.ts', 'cli.cjs', [
    // src/bin.ts runs a rare command through this: the second bundle, loaded as this one was
    // (bin/load-cli.js gives itself as module.bgrunLoad; Node's require uses its compile cache).
    'let __bgrunRareCli;',
    'function __bgrunRare() {',
    "  const file = require('node:path').join(__dirname, 'cli-rare.cjs');",
    "  if (!__bgrunRareCli) __bgrunRareCli = typeof module.bgrunLoad === 'function' ? module.bgrunLoad(file) : require(file);",
    '  return __bgrunRareCli;',
    '}',
  ], [leaveOut(rare)]),
  await bundle('cli.ts', 'cli-rare.cjs', [], []),
];
// Config files and the YAML parser in both; the YAML writer of export kubernetes in the rare one.
if (imports[0] !== 2 || imports[1] !== 3) {
  throw new Error(`bundle-cli: expected 2 and 3 dynamic import()s in the bundles (config files, yaml), found ${imports.join(' and ')}; update this script`);
}
fs.writeFileSync(path.join(outdir, 'import.cjs'), '// Dynamic import() for the CLI bundles (see scripts/bundle-cli.mjs).\nmodule.exports = (specifier) => import(specifier);\n');
