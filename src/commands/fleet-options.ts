/** Start options of apps with copies (instances) and namespaces: the command-line side. */
import type { OptionSpec } from '../cli-args.js';
import { DEFAULT_INSTANCE_VAR, parseInstances } from '../core/fleet/instance-env.js';
import { validateName } from '../core/records/names.js';
import type { StartOptions } from '../core/lifecycle/start.js';
import { UsageError } from '../errors.js';

export const FLEET_START_OPTIONS: OptionSpec[] = [
  {
    name: 'instances',
    short: 'i',
    type: 'string',
    value: '<N|max>',
    description: 'run N copies named <name>.0 … <name>.<N-1> (max or 0: one per CPU, -1: one less); the name addresses them all',
  },
  { name: 'increment-var', type: 'string', value: '<VAR>', description: 'raise this numeric variable by the copy index in each copy (e.g. PORT)' },
  { name: 'instance-var', type: 'string', value: '<VAR>', description: `the variable holding the copy index besides BGRUN_INSTANCE (default ${DEFAULT_INSTANCE_VAR})` },
  { name: 'merge-logs', type: 'boolean', description: 'copies share one out and one err log named after the app' },
  { name: 'namespace', type: 'string', value: '<ns>', description: "a group for 'list' and for targets written @<ns> (stop @<ns>, logs @<ns>…)" },
];

const COPY_ONLY = ['increment-var', 'instance-var', 'merge-logs'] as const;

/** The StartOptions of the fleet flags; checked before anything starts. */
export function fleetOptions(v: Record<string, unknown>): Partial<StartOptions> {
  const out: Partial<StartOptions> = {};
  if (v.instances !== undefined) {
    const count = parseInstances(v.instances as string);
    // A single copy is a single program, named after the app (as pm2 names it).
    if (count > 1) out.instances = count;
  } else {
    const copyOnly = COPY_ONLY.find((k) => v[k] !== undefined);
    if (copyOnly) throw new UsageError(`--${copyOnly} is for copies of an app: add --instances <N>`);
  }
  if (v['increment-var'] !== undefined) out.incrementVar = v['increment-var'] as string;
  if (v['instance-var'] !== undefined) out.instanceVar = v['instance-var'] as string;
  if (v['merge-logs'] === true) out.mergeLogs = true;
  if (v.namespace !== undefined) {
    try {
      out.namespace = validateName(v.namespace as string);
    } catch {
      throw new UsageError(`invalid --namespace '${v.namespace}': use 1 to 64 letters, digits, '.', '_' or '-'`);
    }
  }
  return out;
}

