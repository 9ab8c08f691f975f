/**
 * Keys that reach an object's prototype (`__proto__`, `constructor`, `prototype`) are
 * refused anywhere in a config, before anything reads it: JSON.parse and the YAML parser
 * keep them as ordinary keys, but a lookup (`table[key]`) or an assignment (`out[key] = v`)
 * with one of them reads or changes a prototype instead. No app needs such a key, so
 * refusing them all, at any depth, is simpler to trust than guarding every lookup.
 */
import { ConfigError } from '../errors.js';

const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

/**
 * Throws a ConfigError naming the first unsafe key and where it is
 * (`ecosystem.json: apps[0].__proto__: …`). Walks plain objects and lists without
 * recursion (a deeply nested file cannot overflow the stack), each object once.
 */
export function refuseUnsafeKeys(value: unknown, source: string): void {
  const seen = new Set<object>();
  const stack: { value: unknown; at: string }[] = [{ value, at: '' }];
  while (stack.length > 0) {
    const { value: current, at } = stack.pop()!;
    if (typeof current !== 'object' || current === null || seen.has(current)) continue;
    seen.add(current);
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], at: `${at}[${i}]` });
      continue;
    }
    const keys = Object.keys(current);
    for (const key of keys) {
      if (UNSAFE.has(key)) {
        const where = at ? `${at}.${key}` : key;
        throw new ConfigError(
          `${source}: ${where}: a key named "${key}" is not allowed in a config (it could change how objects behave); remove it or rename it`,
        );
      }
    }
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      stack.push({ value: (current as Record<string, unknown>)[key], at: at ? `${at}.${key}` : key });
    }
  }
}
