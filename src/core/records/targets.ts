import { TargetNotFoundError } from '../../errors.js';
import type { Context } from '../context.js';
import { validateName } from './names.js';
import { readProcess } from '../processes/process-info.js';
import type { ProcessRecord } from './record.js';
import { readRecords } from './registry.js';

/**
 * Turns what the user typed (names, app names of copies, `@namespace`, pids, `all`) into records. A pid matches
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
        // Named by no current program: say so, and which program it was when bgrun knows (a pid since reused).
        const was = records.find((r) => r.pid === pid);
        throw new TargetNotFoundError(
          target,
          was
            ? `pid ${pid} is no longer '${was.name}' (that process ended; the pid now belongs to another one); see 'bgrun show ${was.name}'`
            : `pid ${pid} is not a program bgrun runs; see 'bgrun list'`,
          'NOT_MANAGED',
        );
      }
      chosen.set(record.name, record);
      continue;
    }
    // A display name from a pm2 file ("My API") addresses its program as its safe name does.
    const byDisplay = records.filter((r) => r.displayName === target);
    if (byDisplay.length > 0) {
      for (const r of byInstance(byDisplay)) chosen.set(r.name, r);
      continue;
    }
    if (target.startsWith('@')) {
      // A namespace (pm2 `namespace`): '@' is never part of a name, so it cannot clash with one.
      const ns = target.slice(1);
      validateName(ns);
      const members = records.filter((r) => r.namespace === ns);
      if (members.length === 0) throw new TargetNotFoundError(target, `no program in namespace '${ns}'; see 'bgrun list'`);
      for (const r of byInstance(members)) chosen.set(r.name, r);
      continue;
    }
    validateName(target);
    const record = records.find((r) => r.name === target);
    if (record) {
      chosen.set(record.name, record);
      continue;
    }
    // The name of an app started with --instances: every copy of it.
    const copies = byInstance(records.filter((r) => r.app === target));
    if (copies.length === 0) throw new TargetNotFoundError(target, `no process named '${target}'; see 'bgrun list'`);
    for (const r of copies) chosen.set(r.name, r);
  }
  return [...chosen.values()];
}

/** Copies of an app in index order; others keep their order. */
function byInstance(records: ProcessRecord[]): ProcessRecord[] {
  return [...records].sort((a, b) => (a.app === b.app ? (a.instance ?? 0) - (b.instance ?? 0) : 0));
}
