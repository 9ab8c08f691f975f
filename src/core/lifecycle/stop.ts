import type { Context } from '../context.js';
import type { ProcessRecord } from '../records/record.js';
import { readRecord, withLock, writeRecords } from '../records/registry.js';
import { observe } from './status.js';
import { isSameProcess, programLeftovers } from '../processes/identity.js';
import { type Tracked, snapshotTree, withOneScan } from '../processes/descendants.js';
import { terminateLeftovers, terminateTree } from '../processes/terminate.js';

/** A write that failed because the disk (or the user's quota) is full, or the folder became read-only. */
function noSpace(error: unknown): boolean {
  for (let e = error as { code?: string; cause?: unknown } | undefined, depth = 0; e && depth < 3; e = e.cause as typeof e, depth++) {
    if (e.code === 'ENOSPC' || e.code === 'EDQUOT' || e.code === 'EROFS') return true;
  }
  return false;
}

export interface StopOptions {
  signal?: NodeJS.Signals;
  timeoutMs?: number;
  /** Told as each program's stop begins and ends (the CLI's progress line). */
  progress?: { setTotal(total: number): void; begin(name: string): void; end(name: string): void };
}

export interface StopResult {
  name: string;
  /** The pid that was stopped, or null when it was not running. */
  pid: number | null;
  wasRunning: boolean;
  /** What it was when the stop found it (a program that was not running: how it had ended). */
  previous?: { status: ProcessRecord['status']; exitCode: number | null; signal: string | null };
  escalated: boolean;
  /** Processes of its group that had outlived its main process, and were stopped. */
  leftovers?: number[];
  /** Set when the stop could not be written to the record (a full disk): why. The signals were sent all the same. */
  unrecorded?: string;
  /** The signal of the graceful stop. */
  signal?: string;
}

/**
 * Stops one program and its whole tree. The desired state is written first, so
 * a supervisor never restarts what the user is stopping.
 */
export async function stopRecord(ctx: Context, record: ProcessRecord, options: StopOptions = {}): Promise<StopResult> {
  const [result] = await stopRecords(ctx, [record], options);
  return result!;
}

/**
 * Stops several programs at once: one lock to mark them all stopped, their trees
 * ended side by side, one lock to record the outcome. Two locks in all rather
 * than two per program: `stop all` with 200 programs on a busy machine otherwise
 * spends its time queueing for the lock.
 */
export async function stopRecords(ctx: Context, records: ProcessRecord[], options: StopOptions = {}): Promise<StopResult[]> {
  if (records.length === 0) return [];
  // How each one was before the stop marked it (once marked, an ended program reads as `stopped`).
  const before = new Map<string, ProcessRecord>();
  // A full disk must not keep a program from being stopped (it may be what fills the disk):
  // what cannot be recorded is said, after the signals, never a reason not to send them.
  const unrecorded = new Map<string, string>();
  const cannotRecord = (name: string, error: unknown) => {
    if (!noSpace(error)) throw error;
    if (!unrecorded.has(name)) unrecorded.set(name, error instanceof Error ? error.message : String(error));
  };
  // Each live program's tree as found before any signal; its strays (processes outside its
  // group) go into the record first, so a stop killed half-way leaves them known.
  const trees = new Map<string, Tracked[]>();
  // One scan of the processes for all the trees where a scan is needed (processes/descendants.ts).
  const mark = () =>
    withOneScan(() => records.map((record) => {
      const current = readRecord(ctx.paths, record.name) ?? record;
      const seen = observe(current).record;
      before.set(current.name, seen);
      const tree = seen.status === 'running' && seen.pid !== null && seen.identity !== null ? snapshotTree(seen.pid, seen.identity) : [];
      // Strays an earlier, interrupted stop recorded: still the program's own while their identity holds.
      const known = (current.strays ?? []).filter((p) => isSameProcess(p) && !tree.some((t) => t.pid === p.pid));
      const all = [...tree, ...known.map((p) => ({ ...p, pgid: -1 }))];
      trees.set(current.name, all);
      const strays = all.filter((p) => p.pgid !== seen.pid).map(({ pid, identity }) => ({ pid, identity }));
      return { ...current, desired: 'stopped' as const, ...(strays.length > 0 || current.strays ? { strays } : {}) };
    }));
  const markAll = async () => {
    const marked = mark();
    await writeRecords(ctx.paths, marked, cannotRecord);
    return marked;
  };
  const marked = await withLock(ctx.paths, markAll).catch((error: unknown) => {
    for (const r of records) cannotRecord(r.name, error);
    return records.map((record) => ({ ...record, desired: 'stopped' as const }));
  });
  const results = await Promise.all(
    marked.map(async (record): Promise<StopResult> => {
      const seen = observe(record).record;
      if (seen.status !== 'running' || seen.pid === null || seen.identity === null) {
        // Its main process is gone, but processes of its group may have outlived it.
        const leader = record.pid !== null ? { pid: record.pid, identity: record.identity, startedAt: record.startedAt } : null;
        const left = programLeftovers(leader, record.strays);
        if (left.length > 0) {
          const outcome = await terminateLeftovers(record.pid ?? left[0]!.pid, left, options);
          if (outcome.wasRunning) {
            options.progress?.end(record.name);
            return { name: record.name, pid: null, wasRunning: true, escalated: outcome.escalated, leftovers: left.map((p) => p.pid) };
          }
        }
        options.progress?.end(record.name);
        const was = before.get(record.name) ?? seen;
        const previous = { status: was.status, exitCode: was.exitCode, signal: was.signal };
        return { name: record.name, pid: null, wasRunning: false, escalated: false, previous };
      }
      options.progress?.begin(record.name);
      try {
        // The program's own --stop-signal and --kill-timeout, unless this stop names its own.
        const outcome = await terminateTree(seen.pid, seen.identity, {
          ...options,
          tree: trees.get(record.name),
          signal: options.signal ?? (record.stopSignal as NodeJS.Signals | undefined),
          timeoutMs: options.timeoutMs ?? record.killTimeoutMs,
        });
        return { name: record.name, pid: seen.pid, wasRunning: outcome.wasRunning, escalated: outcome.escalated, signal: options.signal ?? record.stopSignal ?? 'SIGTERM' };
      } finally {
        options.progress?.end(record.name);
      }
    }),
  );
  await withLock(ctx.paths, async () => {
    const ended: ProcessRecord[] = [];
    for (const result of results) {
      const current = readRecord(ctx.paths, result.name);
      if (current?.desired !== 'stopped') continue; // restarted meanwhile: not ours to touch
      const wasLive = result.wasRunning || current.status === 'running' || current.status === 'starting';
      const before = result.previous?.status;
      const { strays: _done, ...rest } = current;
      ended.push({
        ...rest,
        status: 'stopped',
        pid: null,
        identity: null,
        lastPid: current.pid ?? current.lastPid ?? null,
        endedAt: wasLive ? new Date().toISOString() : current.endedAt,
        signal: result.wasRunning ? (result.escalated ? 'SIGKILL' : (result.signal ?? 'SIGTERM')) : current.signal,
        // A program that had already ended: `stopped` keeps showing how (list: 'stopped (after exit 1)').
        stoppedAfter: result.wasRunning ? null : before === 'exited' || before === 'errored' ? before : (current.stoppedAfter ?? null),
        ...(!result.wasRunning && (before === 'exited' || before === 'errored') ? { exitCode: result.previous!.exitCode, signal: result.previous!.signal } : {}),
      });
    }
    await writeRecords(ctx.paths, ended, cannotRecord);
  }).catch((error: unknown) => {
    for (const r of results) cannotRecord(r.name, error);
  });
  for (const result of results) {
    const reason = unrecorded.get(result.name);
    if (reason !== undefined) result.unrecorded = reason;
  }
  return results;
}
