/**
 * The config keys of apps with copies, cluster mode and namespaces, bgrun's
 * camelCase and pm2's spelling: instances, incrementVar / increment_var,
 * instanceVar / instance_var, mergeLogs / merge_logs (combine_logs), namespace,
 * execMode / exec_mode.
 */
import { parseInstances } from '../core/fleet/instance-env.js';
import { isValidName } from '../core/records/names.js';
import type { StartOptions } from '../core/lifecycle/start.js';
import { BgrunError, type ConfigError } from '../errors.js';

type Invalid = (key: string, message: string) => ConfigError;

const VAR = /^[A-Za-z_][A-Za-z0-9_]*$/;

function describe(value: unknown): string {
  return typeof value === 'string' ? JSON.stringify(value) : value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : String(value);
}

/** Either spelling; both at once is a mistake. */
function either(obj: Record<string, unknown>, keys: string[], invalid: Invalid): [string, unknown] | null {
  const given = keys.filter((k) => obj[k] !== undefined);
  if (given.length > 1) throw invalid(given[1]!, `give either ${given[0]} or ${given[1]}, not both`);
  return given.length === 1 ? [given[0]!, obj[given[0]!]] : null;
}

export function fleetKeys(obj: Record<string, unknown>, invalid: Invalid): Partial<StartOptions> & { cluster?: boolean } {
  const out: Partial<StartOptions> & { cluster?: boolean } = {};
  if (obj.instances !== undefined) {
    const value = obj.instances;
    if ((typeof value !== 'number' || !Number.isInteger(value)) && (typeof value !== 'string' || !/^(max|-?\d+)$/.test(value.trim()))) {
      throw invalid('instances', `expected a whole number, "max" or 0 (one per CPU), or -1 (one less than the CPUs), got ${describe(value)}`);
    }
    try {
      const count = parseInstances(value as string | number);
      // pm2 names a single instance after the app, with no index: so does bgrun.
      if (count > 1) out.instances = count;
    } catch (error) {
      throw invalid('instances', error instanceof BgrunError ? error.message.replace(/^invalid --instances [^:]*: /, '') : String(error));
    }
  }
  const variable = (keys: string[]): string | undefined => {
    const found = either(obj, keys, invalid);
    if (!found) return undefined;
    if (typeof found[1] !== 'string' || !VAR.test(found[1])) {
      throw invalid(found[0], `expected a variable name of letters, digits and '_', got ${describe(found[1])}`);
    }
    return found[1];
  };
  const increment = variable(['incrementVar', 'increment_var']);
  if (increment !== undefined) out.incrementVar = increment;
  const instanceVar = variable(['instanceVar', 'instance_var']);
  if (instanceVar !== undefined) out.instanceVar = instanceVar;
  const merge = either(obj, ['mergeLogs', 'merge_logs', 'combine_logs'], invalid);
  if (merge) {
    if (typeof merge[1] !== 'boolean') throw invalid(merge[0], `expected true or false, got ${describe(merge[1])}`);
    if (merge[1]) out.mergeLogs = true;
  }
  if (obj.namespace !== undefined) {
    if (typeof obj.namespace !== 'string' || !isValidName(obj.namespace)) {
      throw invalid('namespace', `expected a name of 1 to 64 letters, digits, '.', '_' or '-', got ${describe(obj.namespace)}`);
    }
    out.namespace = obj.namespace;
  }
  const mode = either(obj, ['execMode', 'exec_mode'], invalid);
  if (mode) {
    const text = mode[1];
    if (text === 'cluster' || text === 'cluster_mode') throw invalid(mode[0], 'cluster mode is not available yet: use "fork" (each copy on its own port with increment_var)');
    else if (text !== 'fork' && text !== 'fork_mode') throw invalid(mode[0], `expected "fork" or "cluster", got ${describe(text)}`);
  }
  if (obj.instances === undefined) {
    const copyOnly = ['incrementVar', 'increment_var', 'instanceVar', 'instance_var'].find((k) => obj[k] !== undefined);
    if (copyOnly) throw invalid(copyOnly, 'is for copies of an app: add instances');
  }
  return out;
}

/**
 * Two apps that would need the same name: the copies of `web` (instances 2)
 * are `web.0` and `web.1`, so no other app may be called `web.1`.
 */
export function checkCopyNames(apps: { name: string; instances?: number }[], invalid: (index: number, message: string) => ConfigError): void {
  const owner = new Map<string, number>(apps.map((app, i) => [app.name, i]));
  apps.forEach((app, i) => {
    if (app.instances === undefined) return;
    for (let k = 0; k < app.instances; k++) {
      const name = `${app.name}.${k}`;
      if (!isValidName(name)) throw invalid(i, `"${name}", the name of copy ${k}, is too long: use a name of at most ${63 - String(k).length} characters`);
      const other = owner.get(name);
      if (other !== undefined && other !== i) throw invalid(other, `"${name}" is also the name of copy ${k} of apps[${i}] ("${app.name}", ${app.instances} instances); rename one of them`);
      owner.set(name, i);
    }
  });
}
