import { constants as osConstants } from 'node:os';
import { StopError } from '../../errors.js';
import { signalGroupIfSame, signalIfSame } from './identity.js';
import { type Tracked, collectDescendants, withOneScan } from './descendants.js';
import { isSameProcessAlive, readProcess } from './process-info.js';

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

const POLL_MS = 20;

export function isValidSignal(name: string): name is NodeJS.Signals {
  return Object.hasOwn(osConstants.signals, name);
}

/**
 * Signals a program's process group, then every descendant that left it (found
 * before signalling, so ones re-parented to init are not lost), waits until all
 * are gone and escalates to SIGKILL after the timeout. Every pid is checked
 * against the identity taken when it was found, right before it is signalled
 * (core/processes/identity.ts, the one place that signals).
 */
export async function terminateTree(pid: number, identity: string, options: TerminateOptions & { tree?: Tracked[] } = {}): Promise<TerminateResult> {
  if (!isSameProcessAlive(pid, identity)) return { wasRunning: false, escalated: false, signalled: 0 };
  // The tree as snapshotTree found it moments ago (with the program first): not walked again.
  if (options.tree && options.tree[0]?.pid === pid) return terminateFrom(pid, options.tree, options, true);
  const leader = readProcess(pid);
  return terminateFrom(pid, [{ pid, identity, pgid: leader?.pgid ?? pid }], options);
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

/**
 * One tree being ended: signalled when made, then stepped by the shared wait below until
 * nothing of it lives (escalating to SIGKILL after its timeout).
 */
class TreeEnd {
  readonly tracked: Map<number, Tracked>;
  readonly signalled: number;
  private readonly signal: NodeJS.Signals;
  private readonly killWaitMs: number;
  private deadline: number;
  private escalated = false;
  private lastScan: number;
  resolve: (result: TerminateResult) => void = () => {};
  reject: (error: unknown) => void = () => {};

  /** `pgid`: the program's process group id (its main pid); `roots`: verified processes to end with their descendants. */
  constructor(
    private readonly pgid: number,
    roots: Tracked[],
    options: TerminateOptions,
    collected: boolean,
  ) {
    this.signal = options.signal ?? 'SIGTERM';
    this.killWaitMs = options.killWaitMs ?? 5_000;
    this.tracked = new Map(roots.map((r) => [r.pid, r]));
    if (!collected) collectDescendants(this.tracked, roots[0]!.pid);
    this.signalled = this.signalAll(this.signal);
    this.deadline = Date.now() + (options.timeoutMs ?? 10_000);
    this.lastScan = Date.now();
  }

  /** Pids found gone: a process once gone never comes back under its identity, so it is not read again. */
  private readonly gone = new Set<number>();

  private alive(): Tracked[] {
    const live: Tracked[] = [];
    for (const t of this.tracked.values()) {
      if (this.gone.has(t.pid)) continue;
      if (isSameProcessAlive(t.pid, t.identity)) live.push(t);
      else this.gone.add(t.pid);
    }
    return live;
  }

  private signalAll(sig: NodeJS.Signals): number {
    let count = 0;
    // The group only while one of its verified members lives: a live group keeps its id from being reused.
    const members = this.alive();
    const inGroup = members.filter((t) => t.pgid === this.pgid);
    if (inGroup.some((t) => signalGroupIfSame(this.pgid, t, sig))) count += inGroup.length;
    for (const t of members) {
      if (t.pgid !== this.pgid && signalIfSame(t, sig)) count++;
    }
    return count;
  }

  /** The result once nothing of the tree lives; null while something does. */
  step(now: number): TerminateResult | null {
    if (this.alive().length === 0) return { wasRunning: true, escalated: this.escalated, signalled: this.signalled };
    if (!this.escalated && now - this.lastScan > 200) {
      // Children forked after the signal would be missed otherwise. Only while some of the
      // tree lives: the children of processes that are gone were handed to init, out of reach.
      const before = this.tracked.size;
      collectDescendants(this.tracked, this.pgid);
      this.lastScan = now;
      for (const t of [...this.tracked.values()].slice(before)) if (t.pgid !== this.pgid) signalIfSame(t, this.signal);
    }
    if (now < this.deadline) return null;
    if (this.escalated) {
      const left = this.alive().map((t) => t.pid);
      throw new StopError(`processes ${left.join(', ')} survived SIGKILL for ${this.killWaitMs} ms (stuck in the kernel?); check them with ps`);
    }
    collectDescendants(this.tracked, this.pgid);
    this.signalAll('SIGKILL');
    this.escalated = true;
    this.deadline = now + this.killWaitMs;
    return null;
  }
}

/**
 * Every tree being ended waits in one loop: `stop all` of 1,000 programs signals them all
 * (each call signals at once) and then checks them together every POLL_MS, rather than
 * with 1,000 timers of its own. Node has no way to be told of the exit of a process that
 * is not its child (no pidfd), so a tick it is; most trees are gone after the first ones.
 */
const waiting = new Set<TreeEnd>();
let scheduled = false;

function schedule(): void {
  if (scheduled || waiting.size === 0) return;
  scheduled = true;
  setTimeout(tick, POLL_MS);
}

function tick(): void {
  scheduled = false;
  const now = Date.now();
  // The trees that look for new children in this tick share one scan where they need one (descendants.ts).
  withOneScan(() => {
    for (const end of waiting) {
      try {
        const result = end.step(now);
        if (!result) continue;
        waiting.delete(end);
        end.resolve(result);
      } catch (error) {
        waiting.delete(end);
        end.reject(error);
      }
    }
  });
  schedule();
}

function terminateFrom(pgid: number, roots: Tracked[], options: TerminateOptions, collected = false): Promise<TerminateResult> {
  const end = new TreeEnd(pgid, roots, options, collected);
  return new Promise((resolve, reject) => {
    end.resolve = resolve;
    end.reject = reject;
    waiting.add(end);
    schedule();
  });
}
