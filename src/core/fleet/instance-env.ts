import os from 'node:os';
import { UsageError } from '../../errors.js';
import type { ProcessRecord } from '../records/record.js';

/** pm2's variable for the index of a copy, unless `instanceVar` names another. */
export const DEFAULT_INSTANCE_VAR = 'NODE_APP_INSTANCE';

/**
 * The environment of one copy of an app started with `--instances`: its index
 * in BGRUN_INSTANCE and NODE_APP_INSTANCE (or `instanceVar`), and `incrementVar`
 * raised by the index. Worked out at every spawn, so a value read from an env
 * file is raised as it is now, and a copy added by `scale` needs nothing more
 * than its index. A single program's environment is returned as it is.
 */
export function withInstanceEnv(record: Pick<ProcessRecord, 'instance' | 'instanceVar' | 'incrementVar'>, env: Record<string, string>): Record<string, string> {
  const index = record.instance;
  if (index === undefined) return env;
  env.BGRUN_INSTANCE = String(index);
  env[record.instanceVar || DEFAULT_INSTANCE_VAR] = String(index);
  const inc = record.incrementVar;
  if (inc) {
    const base = env[inc];
    if (base !== undefined && /^\d+$/.test(base.trim())) env[inc] = String(Number(base.trim()) + index);
  }
  return env;
}

/**
 * pm2's rules for a count of copies: a whole number; `max` or 0 = one per CPU;
 * a negative number = that many fewer than the CPUs (at least one).
 */
export function parseInstances(value: string | number, what = '--instances', cpus = os.availableParallelism()): number {
  const text = String(value).trim();
  if (text === 'max') return cpus;
  if (!/^-?\d+$/.test(text)) {
    throw new UsageError(`invalid ${what} '${value}': use a whole number, max or 0 (one per CPU), or -1 (one less than the CPUs)`);
  }
  const n = Number(text);
  if (n === 0) return cpus;
  if (n < 0) return Math.max(1, cpus + n);
  if (n > 1000) throw new UsageError(`invalid ${what} '${value}': at most 1000 copies`);
  return n;
}
