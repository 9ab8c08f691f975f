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
 * Walks from each root to what it depends on, depth first, and calls `finish` for
 * a name after all its dependencies (post-order), each name once. Without recursion:
 * a chain of thousands of apps must not overflow the stack (8,000 did).
 * `depsOf(name, from)` gives a name's dependencies (it may throw for a name that does
 * not exist); `cycle(path, name)` is called for an edge back to a name still on the
 * path (`path` from that name on) and returns whether to skip that edge (or throws).
 */
export function walkDependencies(
  roots: Iterable<string>,
  depsOf: (name: string, from: string | null) => readonly string[],
  cycle: (path: string[], name: string) => void,
  finish: (name: string, kept: string[]) => void,
): void {
  const done = new Set<string>();
  const stack: { name: string; deps: readonly string[]; next: number; kept: string[] }[] = [];
  const onPath = new Map<string, number>();
  const enter = (name: string, from: string | null): boolean => {
    if (done.has(name)) return true;
    const at = onPath.get(name);
    if (at !== undefined) {
      cycle(
        stack.slice(at).map((frame) => frame.name),
        name,
      );
      return false;
    }
    onPath.set(name, stack.length);
    stack.push({ name, deps: depsOf(name, from), next: 0, kept: [] });
    return true;
  };
  for (const root of roots) {
    enter(root, null);
    while (stack.length > 0) {
      const top = stack[stack.length - 1]!;
      if (top.next < top.deps.length) {
        const dep = top.deps[top.next++]!;
        if (enter(dep, top.name)) top.kept.push(dep);
        continue;
      }
      stack.pop();
      onPath.delete(top.name);
      done.add(top.name);
      finish(top.name, top.kept);
    }
  }
}

/** ": a -> b -> a"; a long cycle by its length and ends, so the message stays one readable line. */
function describeCycle(names: string[]): string {
  if (names.length <= 12) return `: ${names.join(' -> ')}`;
  return ` of ${names.length - 1} apps: ${[...names.slice(0, 4), '…', ...names.slice(-3)].join(' -> ')}`;
}

/**
 * The apps named in `wanted` (default: all) and everything they depend on,
 * dependencies first. Throws DEPENDENCY_CYCLE naming the cycle
 * ("dependsOn cycle: web -> api -> web").
 */
export function startOrder<T extends Dependent>(apps: T[], wanted?: string[], source = 'config'): T[] {
  const byName = new Map(apps.map((app) => [app.name, app]));
  const order: T[] = [];
  walkDependencies(
    wanted ?? apps.map((app) => app.name),
    (name, from) => {
      const app = byName.get(name);
      if (app) return app.dependsOn;
      throw new ConfigError(
        from === null ? `${source}: no app named '${name}'` : `${source}: '${from}' depends on '${name}', which is not in it`,
      );
    },
    (path, name) => {
      throw new ConfigError(`${source}: dependsOn cycle${describeCycle([...path, name])}`, 'DEPENDENCY_CYCLE');
    },
    (name) => order.push(byName.get(name)!),
  );
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
  // Dependencies are walked first, so each promise is made after those it waits for (no recursion).
  walkDependencies(
    graph.keys(),
    (name) => (graph.get(name) ?? []).filter((dep) => graph.has(dep)),
    () => {}, // no cycle by contract; an edge that would close one is not waited for, so nothing hangs
    (name, deps) => {
      const waits = deps.map((dep) => started.get(dep)!);
      started.set(
        name,
        Promise.all(waits).then((results) => task(name, results)),
      );
    },
  );
  return started;
}
