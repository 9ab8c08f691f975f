import fs from 'node:fs';
import { installFile } from './install-root.js';

let cached: string | undefined;

/** The package version; read once, from this installation's package.json. */
export function bgrunVersion(): string {
  const manifest = installFile('package.json');
  cached ??= manifest === null ? 'unknown' : (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string }).version;
  return cached;
}
