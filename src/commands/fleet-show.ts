/** What `show` prints of copies, namespaces and env profiles. */
import { DEFAULT_INSTANCE_VAR } from '../core/fleet/instance-env.js';
import type { ProcessRecord } from '../core/records/record.js';

export function fleetDetails(record: ProcessRecord): Record<string, unknown> {
  return {
    app: record.app ?? null,
    instance: record.instance ?? null,
    instances: record.instances ?? null,
    instanceVar: record.instance === undefined ? null : record.instanceVar || DEFAULT_INSTANCE_VAR,
    incrementVar: record.incrementVar ?? null,
    mergeLogs: record.mergeLogs === true,
    namespace: record.namespace ?? null,
    cluster: record.cluster === true,
    envProfile: record.envProfile ?? null,
  };
}

export function fleetRows(record: ProcessRecord): [string, string][] {
  const rows: [string, string][] = [];
  if (record.app !== undefined) {
    const vars = [`BGRUN_INSTANCE, ${record.instanceVar || DEFAULT_INSTANCE_VAR}`];
    if (record.incrementVar) vars.push(`${record.incrementVar} raised by ${record.instance}`);
    rows.push(['copy', `${record.instance} of ${record.instances} of '${record.app}' (${vars.join('; ')})${record.mergeLogs ? ', logs merged' : ''}`]);
  }
  if (record.cluster) rows.push(['cluster mode', `${record.instances ?? 1} worker(s) forked by this primary, sharing its ports`]);
  if (record.namespace) rows.push(['namespace', record.namespace]);
  if (record.envProfile) rows.push(['env profile', record.envProfile]);
  return rows;
}
