/**
 * `bgrun reload <target>`: copies replaced one at a time, each only once the
 * one before is ready again (its `--ready` probe, else a short fixed wait), so
 * the other copies keep serving. A copy that fails to come back stops the
 * reload: the copies not reached yet keep running the old version. A single
 * program has nothing to serve in its place: its reload is a restart, and the
 * result says so. Cluster mode (one primary, many workers) is reloaded by its
 * primary: core/fleet/cluster.ts.
 */
import { BgrunError, ReloadError, TargetNotFoundError } from '../../errors.js';
import type { Context } from '../context.js';
import { DEFAULT_WAIT_MS, type LaunchResult } from '../lifecycle/launch.js';
import { type RestartOptions, restartRecord } from '../lifecycle/restart.js';
import { observe } from '../lifecycle/status.js';
import type { ProcessRecord } from '../records/record.js';

/** Without a probe, a new copy must stay up this long before the next copy goes. */
export const RELOAD_SETTLE_MS = 1000;

export interface ReloadStep {
  name: string;
  oldPid: number | null;
  result: LaunchResult;
}

export interface ReloadResult {
  /** The app name (copies), or the program's name. */
  app: string;
  /** `restart`: a single program, stopped then started (a short downtime); `rolling`: copy by copy; `cluster`: worker by worker. */
  how: 'restart' | 'rolling' | 'cluster';
  steps: ReloadStep[];
}

export interface ReloadOptions extends RestartOptions {
  /** Called before each copy is replaced: apply writes the new spec into the record here. */
  prepare?: (record: ProcessRecord) => Promise<ProcessRecord> | ProcessRecord;
  onStep?: (step: ReloadStep, how: ReloadResult['how']) => void;
}

function isRunning(record: ProcessRecord): boolean {
  const status = observe(record).record.status;
  return status === 'running' || status === 'starting';
}

/** The targets grouped by app, in the order given; a single program is a group of one. */
function groups(records: ProcessRecord[]): { app: string; records: ProcessRecord[] }[] {
  const out = new Map<string, ProcessRecord[]>();
  for (const r of records) {
    const key = r.app ?? r.name;
    out.set(key, [...(out.get(key) ?? []), r]);
  }
  return [...out].map(([app, list]) => ({ app, records: list.sort((a, b) => (a.instance ?? 0) - (b.instance ?? 0)) }));
}

/** Reloads the targets: nothing running among them is an error, and nothing is touched. */
export async function reloadTargets(ctx: Context, records: ProcessRecord[], options: ReloadOptions = {}): Promise<ReloadResult[]> {
  const running = records.filter(isRunning);
  if (running.length === 0) {
    const names = records.map((r) => r.app ?? r.name);
    const label = [...new Set(names)].join("', '");
    throw new TargetNotFoundError(label, `nothing to reload: '${label}' ${names.length > 1 ? 'are' : 'is'} not running; start ${names.length > 1 ? 'them' : 'it'} with 'bgrun start'`, 'NOTHING_RUNNING');
  }
  const results: ReloadResult[] = [];
  for (const group of groups(running)) {
    const first = group.records[0]!;
    if (first.cluster) {
      const { reloadCluster } = await import('./cluster.js');
      results.push(await reloadCluster(ctx, first, options));
      continue;
    }
    results.push(await rollGroup(ctx, group.app, group.records, options));
  }
  return results;
}

async function rollGroup(ctx: Context, app: string, records: ProcessRecord[], options: ReloadOptions): Promise<ReloadResult> {
  const how = records.length === 1 && records[0]!.app === undefined ? 'restart' : 'rolling';
  const steps: ReloadStep[] = [];
  for (const [i, record] of records.entries()) {
    const seen = observe(record).record;
    try {
      const target = options.prepare ? await options.prepare(seen) : seen;
      // Without a probe, the new copy must survive a short settle time before the next one goes.
      const waitMs = target.ready ? (options.waitMs ?? DEFAULT_WAIT_MS) : Math.max(options.waitMs ?? DEFAULT_WAIT_MS, RELOAD_SETTLE_MS);
      const result = await restartRecord(ctx, target, { ...options, waitMs });
      const step = { name: record.name, oldPid: seen.pid, result };
      steps.push(step);
      options.onStep?.(step, how);
    } catch (error) {
      const left = records.slice(i + 1).map((r) => r.name);
      const why = error instanceof BgrunError ? error.message : String(error);
      const rest = left.length > 0 ? `; ${left.join(', ')} still run${left.length === 1 ? 's' : ''} the old version` : '';
      throw new ReloadError('RELOAD_FAILED', `reload of '${app}' stopped at ${record.name}: ${why}${rest}`, { cause: error });
    }
  }
  return { app, how, steps };
}
