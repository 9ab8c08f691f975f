import type { Context } from '../context.js';
import type { ProcessRecord } from '../records/record.js';
import { readRecord, withLock, writeRecord } from '../records/registry.js';

/**
 * pm2's `reset`: the restart counters back to 0 (restarts, and the supervisor's
 * count of quick crashes in a row). Nothing is signalled or started.
 */
export async function resetCounters(ctx: Context, records: ProcessRecord[]): Promise<string[]> {
  return withLock(ctx.paths, () => {
    const done: string[] = [];
    for (const { name } of records) {
      const current = readRecord(ctx.paths, name);
      if (!current) continue;
      writeRecord(ctx.paths, { ...current, restarts: 0, failures: 0 });
      done.push(name);
    }
    return done;
  });
}
