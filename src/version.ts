import fs from 'node:fs';

/** Set by the bundler (scripts/bundle.mjs); the unbundled library reads package.json. */
declare const BGRUN_BUNDLED_VERSION: string | undefined;

let cached: string | undefined;

export function bgrunVersion(): string {
  if (typeof BGRUN_BUNDLED_VERSION === 'string') return BGRUN_BUNDLED_VERSION;
  cached ??= (JSON.parse(fs.readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  return cached;
}
