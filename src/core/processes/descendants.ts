import { type ProcInfo, listAllProcesses, readChildren, readProcess } from './process-info.js';

/** A process of a program's tree, with the identity it had when found and its process group. */
export interface Tracked {
  pid: number;
  identity: string;
  pgid: number;
}

type ChildrenOf = (pid: number) => ProcInfo[];

/**
 * While set (withOneScan), the scan of every process that trees without /proc children
 * files share: made on first need, then used by every tree walked in the same pass.
 */
let scope: { children: Map<number, ProcInfo[]> | null } | null = null;

/**
 * Runs `fn` with one scan of every process shared by the trees it walks. `stop all` of
 * 1,000 programs walks 1,000 trees before it signals anything: where the kernel has no
 * children files (macOS, where a scan is a `ps`; Linux without CONFIG_PROC_CHILDREN)
 * a scan per tree made that quadratic. Only for walks that take identities before
 * signalling: every signal still checks its process right before (identity.ts).
 */
export function withOneScan<T>(fn: () => T): T {
  if (scope) return fn();
  scope = { children: null };
  try {
    return fn();
  } finally {
    scope = null;
  }
}

function scanChildren(): Map<number, ProcInfo[]> {
  const children = new Map<number, ProcInfo[]>();
  for (const p of listAllProcesses()) {
    if (p.dead) continue;
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  return children;
}

/**
 * How to list a process's children: from its /proc children files where the
 * kernel has them (a few reads), else from one scan of every process.
 */
function childrenLookup(root: number): ChildrenOf {
  if (readChildren(root) !== null) {
    return (pid) => (readChildren(pid) ?? []).map(readProcess).filter((p): p is ProcInfo => p !== null && !p.dead);
  }
  const shared = scope;
  if (shared) {
    shared.children ??= scanChildren();
    const children = shared.children;
    return (pid) => children.get(pid) ?? [];
  }
  const children = scanChildren();
  return (pid) => children.get(pid) ?? [];
}

/** Adds the descendants of the tracked processes, found by walking parent pids. */
export function collectDescendants(tracked: Map<number, Tracked>, root: number): void {
  const childrenOf = childrenLookup(root);
  const queue = [...tracked.keys()];
  while (queue.length > 0) {
    const pid = queue.pop()!;
    for (const child of childrenOf(pid)) {
      if (tracked.has(child.pid)) continue;
      tracked.set(child.pid, { pid: child.pid, identity: child.identity, pgid: child.pgid });
      queue.push(child.pid);
    }
  }
}

/**
 * The processes of a live program's tree (the program first), found by walking parent
 * pids: what a stop records before it signals anything, so that a stop killed half-way
 * leaves the ones that left the program's group known (`strays` of the record).
 */
export function snapshotTree(pid: number, identity: string): Tracked[] {
  const leader = readProcess(pid);
  if (!leader || leader.dead || leader.identity !== identity) return [];
  const tracked = new Map<number, Tracked>([[pid, { pid, identity, pgid: leader.pgid }]]);
  collectDescendants(tracked, pid);
  return [...tracked.values()];
}
