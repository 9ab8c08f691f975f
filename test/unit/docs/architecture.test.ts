import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { ROOT } from '../../helpers/bgrun.js';

const doc = fs.readFileSync(path.join(ROOT, 'docs', 'architecture.md'), 'utf8');

/** Every file of the folders that docs/architecture.md accounts for, relative to the root. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
      const rel = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(rel);
      else out.push(rel);
    }
  };
  for (const dir of ['bin', 'scripts', 'src']) walk(dir);
  return out.sort();
}

test('docs/architecture.md has one line for every file of src/, bin/ and scripts/, and none for a file that is gone', (t) => {
  const section = doc.slice(doc.indexOf('\n## Every file\n'), doc.indexOf('\n## ', doc.indexOf('\n## Every file\n') + 1));
  const listed = [...section.matchAll(/^- `([^`]+)`: \S/gm)].map((m) => m[1]!);
  const files = sourceFiles();
  t.deepEqual(
    files.filter((f) => !listed.includes(f)),
    [],
    'files with no line under "## Every file" in docs/architecture.md: add "- `<path>`: what it owns"',
  );
  t.deepEqual(listed.filter((f) => !files.includes(f)), [], 'lines for files that do not exist');
  t.deepEqual(listed.filter((f, i) => listed.indexOf(f) !== i), [], 'files with more than one line');
});

test('every path docs/architecture.md names in backticks exists', (t) => {
  // Paths with a folder: from the root, or from src/ (`core/records/registry.ts`); bare file names are named in context.
  const named = new Set([...doc.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\.(?:ts|mjs|cjs|js))`/g)].map((m) => m[1]!));
  const missing = [...named].filter((p) => !fs.existsSync(path.join(ROOT, p)) && !fs.existsSync(path.join(ROOT, 'src', p)));
  t.deepEqual(missing, []);
});
