/**
 * What `apply` compares: a hash of an app's normalised spec, kept in each
 * record it starts. Every option counts (new options too, without a list to
 * keep up to date), except what is not part of how the app runs: its name,
 * the number of copies (a change of count is a scale, not a reload), the
 * grace period of this one start, the profiles not chosen, and where it came from.
 */
import { createRequire } from 'node:module';
import type { ConfigApp } from './validate-config.js';

const NOT_SPEC = new Set(['name', 'instances', 'waitMs', 'envProfiles', 'origin', 'specHash']);

function normalise(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(normalise);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[key];
      if (v !== undefined) out[key] = normalise(v);
    }
    return out;
  }
  return value;
}

/** Empty values and their absence mean the same: `env: {}` is no env, `args: []` no args. */
function meaningful(app: ConfigApp): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(app)) {
    if (NOT_SPEC.has(key) || value === undefined || value === null || value === false) continue;
    if (Array.isArray(value) && value.length === 0) continue;
    if (typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0) continue;
    out[key] = value;
  }
  return out;
}

export function specHash(app: ConfigApp): string {
  // Required here, not imported: node:crypto is ~20 modules of Node's own, and every `start`
  // loads this file while only one from a config file hashes (~1 ms of `start --wait 0`).
  const { createHash } = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');
  return createHash('sha256').update(JSON.stringify(normalise(meaningful(app)))).digest('hex').slice(0, 16);
}
