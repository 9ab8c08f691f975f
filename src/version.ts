import fs from 'node:fs';

let cached: string | undefined;

/** The package version; read once, from the package.json beside src/ or dist/. */
export function bgrunVersion(): string {
  cached ??= (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
