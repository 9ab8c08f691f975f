import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: { root: string | null } | undefined;

/**
 * The folder holding this installation's package.json, or null. Found by walking up
 * from this module because the same code runs at two depths: from dist/ (a file per
 * module, as the library and the supervisor load it) and from the CLI bundle
 * (dist/bundle/cli.cjs).
 */
export function installRoot(): string | null {
  if (cached) return cached.root;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { name?: string };
      if (manifest.name === 'bgrun') break;
    } catch {
      // not here
    }
    const parent = path.dirname(dir);
    if (parent === dir) {
      cached = { root: null };
      return null;
    }
    dir = parent;
  }
  cached = { root: dir };
  return dir;
}

/** A file of this installation, by its path from the package root ('dist/supervisor/main.js'). */
export function installFile(relative: string): string | null {
  const root = installRoot();
  return root === null ? null : path.join(root, relative);
}
