// Bundles the CLI into one CommonJS file, dist/bundle/cli.cjs, the file bin/bgrun.js loads.
// Why: Node starts a CommonJS entry without its ES module loader and reads one file instead
// of one per module, which makes every command answer 10 to 30 ms sooner (BENCHMARKS.md).
// The library (dist/index.js) and the supervisor (dist/supervisor/main.js) stay as tsc emits them.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));

await build({
  entryPoints: [path.join(root, 'src', 'cli.ts')],
  outfile: path.join(root, 'dist', 'bundle', 'cli.cjs'),
  bundle: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20.5',
  // Dynamic import() stays lazy in the bundle: a module runs only when a command needs it.
  // import.meta.url has no CommonJS equivalent: the bundle's own URL stands in for it.
  define: { 'import.meta.url': '__bgrunBundleUrl' },
  banner: { js: "const __bgrunBundleUrl = require('node:url').pathToFileURL(__filename).href;" },
  legalComments: 'none',
  logLevel: 'warning',
});
