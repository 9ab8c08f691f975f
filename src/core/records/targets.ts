import { TargetNotFoundError } from '../../errors.js';
import type { Context } from '../context.js';
import { validateName } from './names.js';
import { readProcess } from '../processes/process-info.js';
import type { ProcessRecord } from './record.js';
import { readRecords } from './registry.js';

/**
 * Turns what the user typed (names, pids, `all`) into records. A pid matches
 * only a record bgrun started with that pid: bgrun never signals a stranger.
 */
export function resolveTargets(ctx: Context, targets: string[]): ProcessRecord[] {
  const { records } = readRecords(ctx.paths);
  const chosen = new Map<string, ProcessRecord>();
  for (const target of targets) {
    if (target === 'all') {
      for (const r of records) chosen.set(r.name, r);
      continue;
    }
    if (/^\d+$/.test(target)) {
      const pid = Number(target);
      // A recorded pid now held by another process (pid reuse) is not ours either.
      const holder = readProcess(pid);
      const reused = (r: ProcessRecord) => holder !== null && !holder.dead && holder.identity !== r.identity;
      const record = records.find((r) => r.pid === pid && !reused(r));
      if (!record) {
        throw new TargetNotFoundError(
          target,
          `pid ${pid} was not started by bgrun, so bgrun will not signal it; see 'bgrun list'`,
          'NOT_MANAGED',
        );
      }
      chosen.set(record.name, record);
      continue;
    }
    validateName(target);
    const record = records.find((r) => r.name === target);
    if (!record) throw new TargetNotFoundError(target, `no process named '${target}'; see 'bgrun list'`);
    chosen.set(record.name, record);
  }
  return [...chosen.values()];
}
