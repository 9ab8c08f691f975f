/**
 * `bgrun scale <app> <N>` (pm2 `scale`): starts or stops copies to reach N.
 * New copies are made from an existing one (same spec, same recorded
 * environment); copies past N go, the highest index first. Scaling to 0 stops
 * every copy but keeps copy 0's record, so a later `scale` can bring the app back.
 */
import { StartError, TargetNotFoundError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import { DEFAULT_WAIT_MS, type LaunchResult } from '../lifecycle/launch.js';
import { removeRecord } from '../lifecycle/remove.js';
import { type StopOptions, type StopResult, stopRecord } from '../lifecycle/stop.js';
import { validateName } from '../records/names.js';
import type { ProcessRecord } from '../records/record.js';
import { readRecordEnv, writeRecordEnv } from '../records/record-env.js';
import { readRecords, withLock, writeRecord } from '../records/registry.js';
import { readClusterState, scaleCluster } from './cluster.js';
import { copiesOf, freshCopy, isLive, launchCopies } from './instances.js';

export interface ScaleResult {
  app: string;
  from: number;
  to: number;
  started: LaunchResult[];
  stopped: StopResult[];
}

/** `N` or `+N` (that many more); anything below 0 is refused. */
export function parseScaleCount(text: string, current: number): number {
  const m = /^([+-]?)(\d+)$/.exec(text.trim());
  if (!m) throw new UsageError(`invalid count '${text}': use a whole number of copies (0 or more), or +N for N more`);
  const n = Number(m[2]);
  const to = m[1] === '+' ? current + n : m[1] === '-' ? current - n : n;
  if (to < 0) throw new UsageError(`cannot scale below 0 copies (asked for ${to})`);
  if (to > 1000) throw new UsageError(`invalid count '${text}': at most 1000 copies`);
  return to;
}

export async function scaleApp(ctx: Context, app: string, count: string, options: StopOptions & { waitMs?: number } = {}): Promise<ScaleResult> {
  validateName(app);
  const { records } = readRecords(ctx.paths);
  const copies = copiesOf(records, app);
  if (copies.length === 0) {
    const single = records.find((r) => r.name === app);
    if (single?.cluster) {
      const current = readClusterState(ctx.paths, app)?.workers.length ?? single.instances ?? 1;
      const to = parseScaleCount(count, current);
      if (to === 0) throw new UsageError(`cannot scale the cluster app '${app}' to 0 workers; stop it with 'bgrun stop ${app}'`);
      const done = await scaleCluster(ctx, single, to);
      return { app, from: done.from, to: done.to, started: [], stopped: [] };
    }
    if (single) {
      throw new StartError(
        'NOT_MANAGED',
        `'${app}' is a single program, not an app with copies; start it with --instances to scale it (bgrun rm ${app}, then bgrun start -i <N> --name ${app} …)`,
      );
    }
    throw new TargetNotFoundError(app, `no app named '${app}'; see 'bgrun list'`);
  }
  const from = copies.filter(isLive).length;
  const to = parseScaleCount(count, from);
  // Past N, highest first; at 0, copy 0 is stopped but kept as the template for a later scale.
  const surplus = copies.filter((r) => (r.instance ?? 0) >= Math.max(to, 1)).reverse();
  const stopped: StopResult[] = [];
  for (const record of surplus) stopped.push(await removeRecord(ctx, record, options));
  if (to === 0) {
    const first = copies.find((r) => (r.instance ?? 0) === 0);
    if (first) stopped.push(await stopRecord(ctx, first, options));
  }
  const fresh = await withLock(ctx.paths, () => {
    const current = copiesOf(readRecords(ctx.paths).records, app);
    const template = current[0];
    if (!template) throw new TargetNotFoundError(app, `the copies of '${app}' were removed meanwhile`);
    const made: ProcessRecord[] = [];
    const byIndex = new Map(current.map((r) => [r.instance ?? 0, r]));
    for (let i = 0; i < to; i++) {
      const existing = byIndex.get(i);
      if (existing && isLive(existing)) continue;
      const copy = freshCopy(ctx.paths, template, app, i, to);
      // A stopped copy keeps its count of restarts; a new one takes the template's environment.
      if (existing) copy.restarts = existing.restarts;
      else writeRecordEnv(ctx.paths, copy.name, readRecordEnv(ctx.paths, template.name));
      writeRecord(ctx.paths, copy);
      made.push(copy);
    }
    // Every copy knows the count the app now has (show, apply).
    for (const r of copiesOf(readRecords(ctx.paths).records, app)) {
      if (r.instances !== to && !made.some((m) => m.name === r.name)) writeRecord(ctx.paths, { ...r, instances: to });
    }
    return made;
  });
  const started = await launchCopies(ctx, fresh, options.waitMs ?? DEFAULT_WAIT_MS);
  return { app, from, to, started, stopped };
}
