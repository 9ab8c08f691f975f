import { constants as osConstants } from 'node:os';
import { StopError } from '../../errors.js';
import { signalGroupIfSame, signalIfSame } from './identity.js';
import { type ProcInfo, isSameProcessAlive, listAllProcesses, readChildren, readProcess } from './process-info.js';

export interface TerminateOptions {
  signal?: NodeJS.Signals;
  timeoutMs?: number;
  /** How long to wait for the SIGKILLed tree to disappear. */
  killWaitMs?: number;
}

export interface TerminateResult {
  /** False when the process was already gone (or the pid belongs to someone else now). */
  wasRunning: boolean;
  /** True when the timeout passed and SIGKILL was needed. */
  escalated: boolean;
  /** How many processes (program and descendants) were signalled. */
  signalled: number;
}

/** A process of a program's tree, with the identity it had when found and its process group. */
export interface Tracked {
  pid: number;
  identity: string;
  pgid: number;
}

const POLL_MS = 20;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export function isValidSignal(name: string): name is NodeJS.Signals {
  return Object.hasOwn(osConstants.signals, name);
}

type ChildrenOf = (pid: number) => ProcInfo[];

/**
 * How to list a process's children: from its /proc children files where the
 * kernel has them (a few reads), else from one scan of every process.
 */
function childrenLookup(root: number): ChildrenOf {
  if (readChildren(root) !== null) {
    return (pid) =>
      (readChildren(pid) ?? []).map(readProcess).filter((p): p is ProcInfo => p !== null && !p.dead);
  }
  const children = new Map<number, ProcInfo[]>();
  for (const p of listAllProcesses()) {
    if (p.dead) continue;
    const list = children.get(p.ppid);
    if (list) list.push(p);
    else children.set(p.ppid, [p]);
  }
  return (pid) => children.get(pid) ?? [];
}

/** Descendants of the tracked processes, found by walking parent pids. */
function collectDescendants(tracked: Map<number, Tracked>, root: number): void {
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
 * Signals a program's process group, then every descendant that left it (found
 * before signalling, so ones re-parented to init are not lost), waits until all
 * are gone and escalates to SIGKILL after the timeout. Every pid is checked
 * against the identity taken when it was found, right before it is signalled
 * (core/processes/identity.ts, the one place that signals).
 */
export async function terminateTree(pid: number, identity: string, options: TerminateOptions & { also?: Tracked[] } = {}): Promise<TerminateResult> {
  if (!isSameProcessAlive(pid, identity)) return { wasRunning: false, escalated: false, signalled: 0 };
  const leader = readProcess(pid);
  return terminateFrom(pid, [{ pid, identity, pgid: leader?.pgid ?? pid }, ...(options.also ?? [])], options);
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

/**
 * Ends what is left of a program whose main process has exited: the members of its
 * process group that outlived it (found by groupLeftovers in core/processes/identity.ts),
 * and their descendants, as terminateTree does for a live program.
 */
export async function terminateLeftovers(pgid: number, members: { pid: number; identity: string | null }[], options: TerminateOptions = {}): Promise<TerminateResult> {
  const roots: Tracked[] = [];
  for (const m of members) {
    const info = readProcess(m.pid);
    if (m.identity !== null && info && !info.dead && info.identity === m.identity) roots.push({ pid: m.pid, identity: m.identity, pgid: info.pgid });
  }
  if (roots.length === 0) return { wasRunning: false, escalated: false, signalled: 0 };
  return terminateFrom(pgid, roots, options);
}

/** `pid`: the program's process group id (its main pid); `roots`: verified processes to end with their descendants. */
async function terminateFrom(pid: number, roots: Tracked[], options: TerminateOptions): Promise<TerminateResult> {
  const signal = options.signal ?? 'SIGTERM';
  const timeoutMs = options.timeoutMs ?? 10_000;
  const killWaitMs = options.killWaitMs ?? 5_000;
  const tracked = new Map<number, Tracked>(roots.map((r) => [r.pid, r]));
  collectDescendants(tracked, roots[0]!.pid);

  const alive = () => [...tracked.values()].filter((t) => isSameProcessAlive(t.pid, t.identity));

  const signalAll = (sig: NodeJS.Signals) => {
    let count = 0;
    // The group only while one of its verified members lives: a live group keeps its id from being reused.
    const members = alive();
    const inGroup = members.filter((t) => t.pgid === pid);
    if (inGroup.some((t) => signalGroupIfSame(pid, t, sig))) count += inGroup.length;
    for (const t of members) {
      if (t.pgid !== pid && signalIfSame(t, sig)) count++;
    }
    return count;
  };

  const signalled = signalAll(signal);
  const deadline = Date.now() + timeoutMs;
  let lastScan = Date.now();
  while (Date.now() < deadline) {
    await sleep(POLL_MS);
    // Children forked after the signal would be missed otherwise.
    if (Date.now() - lastScan > 200) {
      const before = tracked.size;
      collectDescendants(tracked, pid);
      lastScan = Date.now();
      if (tracked.size > before) {
        for (const t of [...tracked.values()].slice(before)) {
          if (t.pgid !== pid) signalIfSame(t, signal);
        }
      }
    }
    if (alive().length === 0) return { wasRunning: true, escalated: false, signalled };
  }

  collectDescendants(tracked, pid);
  signalAll('SIGKILL');
  const killDeadline = Date.now() + killWaitMs;
  while (Date.now() < killDeadline) {
    await sleep(POLL_MS);
    if (alive().length === 0) return { wasRunning: true, escalated: true, signalled };
  }
  const left = alive().map((t) => t.pid);
  throw new StopError(`processes ${left.join(', ')} survived SIGKILL for ${killWaitMs} ms (stuck in the kernel?); check them with ps`);
}
