import type { CorruptRecordError } from '../../errors.js';
import type { Context } from '../context.js';
import { withProcessSnapshot } from '../processes/process-info.js';
import type { ProcessInfo, ProcessRecord } from '../records/record.js';
import { readRecords } from '../records/registry.js';
import { observe, persistObserved, toInfo } from './status.js';

export interface ListResult {
  processes: ProcessInfo[];
  records: ProcessRecord[];
  /** Unreadable records, already moved aside; reported, never fatal. */
  corrupt: CorruptRecordError[];
}

/** Every managed process with its current status; takes no lock unless an interrupted launch is recovered. */
export async function listApps(ctx: Context): Promise<ListResult> {
  const { records, corrupt } = readRecords(ctx.paths, { reuse: true });
  const now = Date.now();
  const { observed, processes } = withProcessSnapshot(() => {
    const seen = records.map((r) => observe(r, now));
    return { observed: seen, processes: toInfo(seen.map((o) => o.record), now) };
  });
  await persistObserved(ctx, observed);
  return { processes, records: observed.map((o) => o.record), corrupt };
}
