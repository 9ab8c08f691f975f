/** What a unit says about copies, cluster mode and namespaces (pure, as systemd-unit.ts). */
import { DEFAULT_INSTANCE_VAR, withInstanceEnv } from '../core/fleet/instance-env.js';
import type { ProcessRecord } from '../core/records/record.js';

export type FleetSource = Partial<Pick<ProcessRecord, 'app' | 'instance' | 'instances' | 'instanceVar' | 'incrementVar' | 'cluster' | 'namespace' | 'envVars'>>;

/** Extra variables of a copy, as bgrun sets them at each spawn, and comments for what has no equivalent. */
export function fleetUnitLines(source: FleetSource): { env: [string, string][]; comments: string[] } {
  const env: [string, string][] = [];
  const comments: string[] = [];
  if (source.app !== undefined && source.instance !== undefined) {
    comments.push(`# Copy ${source.instance} of ${source.instances ?? '?'} of '${source.app}': each copy is a unit of its own (bgrun export systemd ${source.app} writes them all).`);
    const given = { ...(source.envVars ?? {}) };
    const raised = withInstanceEnv(source, { ...given });
    for (const key of ['BGRUN_INSTANCE', source.instanceVar || DEFAULT_INSTANCE_VAR]) env.push([key, raised[key]!]);
    const inc = source.incrementVar;
    if (inc) {
      if (given[inc] !== undefined && raised[inc] !== given[inc]) env.push([inc, raised[inc]!]);
      else comments.push(`# bgrun raised ${inc} by ${source.instance} at each start; its value comes from an env file or the environment here: set ${inc} for this copy yourself.`);
    }
  }
  if (source.cluster) {
    comments.push(
      `# Cluster mode: ExecStart runs bgrun's primary, which forks ${source.instances ?? 1} worker(s) sharing the port; keep bgrun installed where ExecStart points.`,
      "# 'bgrun reload' has no systemd equivalent: 'systemctl kill -s SIGUSR2' only acts on a control file that bgrun writes.",
    );
  }
  if (source.namespace) comments.push(`# bgrun namespace '${source.namespace}': systemd has no equivalent (a slice or a target could group the units).`);
  return { env, comments };
}
