/**
 * Start order by `dependsOn`: every app after what it depends on, otherwise in
 * the order of the config. A cycle is an error that names it.
 */
import { ConfigError } from '../errors.js';

export interface Dependent {
  name: string;
  dependsOn: string[];
}

/**
 * The apps named in `wanted` (default: all) and everything they depend on,
 * dependencies first. Throws DEPENDENCY_CYCLE naming the cycle
 * ("dependsOn cycle: web -> api -> web").
 */
export function startOrder<T extends Dependent>(apps: T[], wanted?: string[], source = 'config'): T[] {
  const byName = new Map(apps.map((app) => [app.name, app]));
  const done = new Set<string>();
  const order: T[] = [];
  const path: string[] = [];
  const visit = (name: string, from: string | null) => {
    if (done.has(name)) return;
    const at = path.indexOf(name);
    if (at >= 0) {
      const cycle = [...path.slice(at), name].join(' -> ');
      throw new ConfigError(`${source}: dependsOn cycle: ${cycle}`, 'DEPENDENCY_CYCLE');
    }
    const app = byName.get(name);
    if (!app) {
      throw new ConfigError(
        from === null ? `${source}: no app named '${name}'` : `${source}: '${from}' depends on '${name}', which is not in it`,
      );
    }
    path.push(name);
    for (const dep of app.dependsOn) visit(dep, name);
    path.pop();
    done.add(name);
    order.push(app);
  };
  for (const name of wanted ?? apps.map((app) => app.name)) visit(name, null);
  return order;
}

/** Stop order: dependents before what they depend on. */
export function stopOrder<T extends Dependent>(apps: T[], source = 'config'): T[] {
  return startOrder(apps, undefined, source).reverse();
}

/**
 * Runs `task` for every name of `graph` once the tasks of its dependencies have
 * settled, handing it their results; names whose dependencies are done run side by
 * side. `graph` maps a name to its dependencies and must have no cycle; dependencies
 * that are not names of the graph are not waited for.
 */
export function afterDependencies<T>(graph: Map<string, string[]>, task: (name: string, deps: T[]) => Promise<T>): Map<string, Promise<T>> {
  const started = new Map<string, Promise<T>>();
  const run = (name: string): Promise<T> => {
    let promise = started.get(name);
    if (!promise) {
      const deps = (graph.get(name) ?? []).filter((dep) => graph.has(dep));
      promise = Promise.all(deps.map(run)).then((results) => task(name, results));
      started.set(name, promise);
    }
    return promise;
  };
  for (const name of graph.keys()) run(name);
  return started;
}
