// Bundles the CLI and the supervisor into one file each: resolving and loading
// a few dozen ES modules costs more than Node's own start-up, and `bgrun list`
// should cost about one Node start-up. The library (dist/index.js) stays unbundled.
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

await build({
  entryPoints: { cli: 'src/cli.ts', 'supervisor-main': 'src/supervisor/main.ts' },
  outdir: 'dist/bundle',
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // proper-lockfile is CommonJS and requires Node built-ins.
  banner: { js: "import { createRequire as __bgrunCreateRequire } from 'node:module';\nconst require = __bgrunCreateRequire(import.meta.url);" },
  define: { BGRUN_BUNDLED_VERSION: JSON.stringify(version) },
  logLevel: 'warning',
});
