import fs from 'node:fs';
import path from 'node:path';
import test from 'ava';
import { CONFIG_FILES, CONFIG_FILES_TEXT } from '../../../src/config/load-config.js';
import { ROOT } from '../../helpers/bgrun.js';

/** "bgrun.config.json|.js, ecosystem.json|.yml" back to the names it stands for. */
function expand(text: string): string[] {
  return text.split(', ').flatMap((group) => {
    const [first, ...others] = group.split('|');
    const stem = first!.slice(0, first!.lastIndexOf('.'));
    return [first!, ...others.map((ext) => stem + ext)];
  });
}

test('the text help and messages print names every file findConfig looks for, in its order', (t) => {
  t.is(CONFIG_FILES_TEXT, 'bgrun.config.json|.js|.mjs|.cjs, ecosystem.config.js|.cjs|.mjs, ecosystem.json|.yml|.yaml');
  t.deepEqual(expand(CONFIG_FILES_TEXT), [...CONFIG_FILES]);
});

test("docs/config.md's search order lists every file findConfig looks for, in its order, then the Procfile", (t) => {
  const docs = fs.readFileSync(path.join(ROOT, 'docs', 'config.md'), 'utf8');
  const from = docs.indexOf('```\n', docs.indexOf('bgrun looks for, in this order:'));
  const block = docs.slice(from + 4, docs.indexOf('```', from + 4));
  const names = [...block.matchAll(/(?<![\w.])(?:bgrun|ecosystem)\.[\w.]+|\bProcfile\b/g)].map((m) => m[0]);
  t.deepEqual(names, [...CONFIG_FILES, 'Procfile']);
});
