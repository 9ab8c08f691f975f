/** What `show` prints of copies, namespaces and env profiles. */
import { DEFAULT_INSTANCE_VAR } from '../core/fleet/instance-env.js';
import fs from 'node:fs';
import path from 'node:path';
import type { StatePaths } from '../core/paths.js';
import type { ProcessRecord } from '../core/records/record.js';

/** The workers a cluster primary last reported (its state file; see core/fleet/cluster.ts). */
function clusterWorkers(record: ProcessRecord, paths: StatePaths): { index: number; pid: number | null }[] | null {
  if (!record.cluster || record.status !== 'running') return null;
  try {
    const state = JSON.parse(fs.readFileSync(path.join(paths.home, 'cluster', `${record.name}.state.json`), 'utf8'));
    return state.pid === record.pid && Array.isArray(state.workers) ? state.workers : null;
  } catch {
    return null;
  }
}

export function fleetDetails(record: ProcessRecord, paths: StatePaths): Record<string, unknown> {
  return {
    app: record.app ?? null,
    instance: record.instance ?? null,
    instances: record.instances ?? null,
    instanceVar: record.instance === undefined ? null : record.instanceVar || DEFAULT_INSTANCE_VAR,
    incrementVar: record.incrementVar ?? null,
    mergeLogs: record.mergeLogs === true,
    namespace: record.namespace ?? null,
    cluster: record.cluster === true,
    workers: clusterWorkers(record, paths),
    envProfile: record.envProfile ?? null,
  };
}

export function fleetRows(record: ProcessRecord, paths: StatePaths): [string, string][] {
  const rows: [string, string][] = [];
  if (record.app !== undefined) {
    const vars = [`BGRUN_INSTANCE, ${record.instanceVar || DEFAULT_INSTANCE_VAR}`];
    if (record.incrementVar) vars.push(`${record.incrementVar} raised by ${record.instance}`);
    rows.push(['copy', `${record.instance} of ${record.instances} of '${record.app}' (${vars.join('; ')})${record.mergeLogs ? ', logs merged' : ''}`]);
  }
  if (record.cluster) {
    const workers = clusterWorkers(record, paths);
    const list = workers ? `: ${workers.map((w) => `${w.index} pid ${w.pid ?? '-'}`).join(', ')}` : '';
    rows.push(['cluster mode', `${record.instances ?? 1} worker(s) forked by this primary, sharing its ports${list}`]);
  }
  if (record.namespace) rows.push(['namespace', record.namespace]);
  if (record.envProfile) rows.push(['env profile', record.envProfile]);
  return rows;
}
