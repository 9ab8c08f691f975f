import type { CorruptRecordError } from '../errors.js';
import type { Context } from './context.js';
import type { ProcessInfo, ProcessRecord } from './record.js';
import { readRecords } from './registry.js';
import { observe, persistObserved, toInfo } from './status.js';

export interface ListResult {
  processes: ProcessInfo[];
  records: ProcessRecord[];
  /** Unreadable records, already moved aside; reported, never fatal. */
  corrupt: CorruptRecordError[];
}

/** Every managed process with its current status; takes no lock unless an interrupted launch is recovered. */
export async function listApps(ctx: Context): Promise<ListResult> {
  const { records, corrupt } = readRecords(ctx.paths);
  const now = Date.now();
  const observed = records.map((r) => observe(r, now));
  await persistObserved(ctx, observed);
  const current = observed.map((o) => o.record);
  return { processes: toInfo(current, now), records: current, corrupt };
}
