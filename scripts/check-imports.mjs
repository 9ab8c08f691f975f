// Checks the import graph of src/ (run by `npm run lint`): layers point one way and
// static imports have no cycles. Layers, lowest first; a module may import its own layer
// and those below it, never one above:
//
//   base      errors.ts, version.ts, install-root.ts, stdio.ts, cli-args.ts, pm2-flags.ts, suggest.ts
//   core      core/**                           (knows no supervisor, config, command)
//   features  options/, config/, persist/, export/, supervisor/, run/, completion/, output/, cluster/, context.ts
//   commands  commands/, monit/ (the screen of `bgrun monit`), index.ts (the library)
//   cli       cli.ts
//   bin       bin.ts                            (the only module that runs a command on load)
//
// Type-only imports count for layers (a type from a higher layer is still a dependency on
// it) but not for cycles; dynamic import() counts for layers, not for cycles (it is lazy).
// Usage: node scripts/check-imports.mjs [src folder]
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'src'));

const LAYERS = [
  ['base', /^(errors|version|install-root|stdio|cli-args|pm2-flags|suggest)\.ts$/],
  ['core', /^core\//],
  ['features', /^(options|config|persist|export|supervisor|run|completion|output|cluster)\/|^context\.ts$/],
  ['commands', /^(commands|monit)\/|^index\.ts$/],
  ['cli', /^cli\.ts$/],
  ['bin', /^bin\.ts$/],
];

function layerOf(file) {
  const i = LAYERS.findIndex(([, pattern]) => pattern.test(file));
  return i;
}

function walk(dir, out = []) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, out);
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(full);
  }
  return out;
}

const IMPORT = /(?:^|\n)[ \t]*(import|export)[ \t]+(type[ \t]+)?(?:[^'";]*?[ \t\n]from[ \t]*)?'([^']+)'/g;
const DYNAMIC = /\bimport\(\s*'([^']+)'\s*\)/g;

const files = walk(root).map((f) => path.relative(root, f).split(path.sep).join('/'));
const problems = [];
const graph = new Map();

for (const file of files) {
  const text = fs.readFileSync(path.join(root, file), 'utf8');
  const layer = layerOf(file);
  if (layer < 0) problems.push(`${file}: in no layer; add its folder to scripts/check-imports.mjs`);
  const edges = [];
  const seen = [];
  for (const m of text.matchAll(IMPORT)) seen.push({ spec: m[3], typeOnly: Boolean(m[2]), dynamic: false });
  for (const m of text.matchAll(DYNAMIC)) seen.push({ spec: m[1], typeOnly: false, dynamic: true });
  for (const { spec, typeOnly, dynamic } of seen) {
    if (!spec.startsWith('.')) continue;
    const target = path.posix.normalize(path.posix.join(path.posix.dirname(file), spec)).replace(/\.js$/, '.ts');
    if (!files.includes(target)) {
      problems.push(`${file}: imports ${spec}, which is not a file of src/`);
      continue;
    }
    const targetLayer = layerOf(target);
    if (layer >= 0 && targetLayer > layer) {
      problems.push(`${file} (${LAYERS[layer][0]}) imports ${target} (${LAYERS[targetLayer][0]}): layers point down only`);
    }
    if (!typeOnly && !dynamic) edges.push(target);
  }
  graph.set(file, edges);
}

// Cycles among static runtime imports (Tarjan's strongly connected components).
let index = 0;
const stack = [];
const state = new Map();
function strongConnect(v) {
  state.set(v, { index, low: index, onStack: true });
  index++;
  stack.push(v);
  for (const w of graph.get(v) ?? []) {
    if (!state.has(w)) {
      strongConnect(w);
      state.get(v).low = Math.min(state.get(v).low, state.get(w).low);
    } else if (state.get(w).onStack) {
      state.get(v).low = Math.min(state.get(v).low, state.get(w).index);
    }
  }
  if (state.get(v).low === state.get(v).index) {
    const component = [];
    let w;
    do {
      w = stack.pop();
      state.get(w).onStack = false;
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) problems.push(`import cycle: ${component.reverse().join(' -> ')}`);
  }
}
for (const file of files) if (!state.has(file)) strongConnect(file);

if (problems.length > 0) {
  for (const p of problems) console.error(`check-imports: ${p}`);
  process.exit(1);
}
console.log(`check-imports: ${files.length} modules, layers point down, no import cycle`);
