import type { ChildProcess } from 'node:child_process';
import { ExitedAtStartError, StartError } from '../../errors.js';
import type { Context } from '../context.js';
import { composeEnv } from '../processes/env-file.js';
import { readErrorReport } from '../logs/error-report.js';
import { fileSize } from '../logs/read.js';
import { processIdentity } from '../processes/process-info.js';
import type { StatePaths } from '../paths.js';
import type { ProcessRecord } from '../records/record.js';
import { isSupervised } from '../records/supervised.js';
import { readRecordEnv } from '../records/record-env.js';
import { readRecord, withLock, writeRecord, writeRecords } from '../records/registry.js';
import { spawnDetached } from '../processes/spawn.js';
import { withPythonUnbuffered } from '../processes/python-env.js';
import { logLimits } from '../logs/limits.js';
import { withInstanceEnv } from '../fleet/instance-env.js';

/** Grace period during which bgrun stays the parent to catch a program that dies at once. */
export const DEFAULT_WAIT_MS = 500;

export interface LaunchResult {
  record: ProcessRecord;
  /** Set when the program already ended with exit code 0 within the grace period. */
  exitedCleanly: boolean;
  /**
   * With exitedCleanly: the pid of the run that ended, when it was seen. A supervised
   * record has no pid once its run ended, and a run can end before a poll sees it.
   */
  endedPid?: number | null;
  /** Plain mode: the spawned program while this process is still its parent (for readiness waits). */
  child?: ChildProcess;
  /** Things the user should know about this start (a name that was taken, say), one line each. */
  notes?: string[];
}

/** How many programs are spawned before their records are written, together under one lock. */
const SPAWN_BATCH = 20;

type Change = (r: ProcessRecord) => ProcessRecord;

/**
 * Applies each change to its record as it is now, under one lock, and writes them as one
 * batch (their syncs at once). A record that vanished or cannot be read fails only its own change.
 */
async function updateAll(ctx: Context, changes: { name: string; change: Change }[]): Promise<(ProcessRecord | Error)[]> {
  if (changes.length === 0) return [];
  return withLock(ctx.paths, async () => {
    const out: (ProcessRecord | Error)[] = [];
    const writes: ProcessRecord[] = [];
    for (const { name, change } of changes) {
      let current: ProcessRecord | null;
      try {
        current = readRecord(ctx.paths, name);
      } catch (error) {
        out.push(error as Error);
        continue;
      }
      if (!current) {
        out.push(new StartError('SPAWN_FAILED', `the record of '${name}' disappeared while it was starting`));
        continue;
      }
      const next = change(current);
      writes.push(next);
      out.push(next);
    }
    // One record (a plain start): written as every single record is.
    if (writes.length === 1) writeRecord(ctx.paths, writes[0]!);
    else await writeRecords(ctx.paths, writes);
    return out;
  });
}

function waitForExit(child: ChildProcess, ms: number): Promise<{ code: number | null; signal: string | null } | null> {
  if (child.exitCode !== null || child.signalCode !== null) {
    return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  }
  if (ms <= 0) return Promise.resolve(null);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off('exit', onExit);
      resolve(null);
    }, ms);
    const onExit = (code: number | null, signal: string | null) => {
      clearTimeout(timer);
      resolve({ code, signal });
    };
    child.once('exit', onExit);
  });
}

/** Spawns a record's program as recorded, with its env files read again: the one spawn of plain and supervised mode. */
export function spawnRecord(paths: StatePaths, record: ProcessRecord): Promise<ChildProcess> {
  return spawnDetached({
    command: record.command,
    cwd: record.cwd,
    // A console script (.venv/bin/mydaemon) runs Python too: its record says so.
    env: withInstanceEnv(
      record,
      withPythonUnbuffered(record.python ? [record.python.executable] : record.command, composeEnv({ ...record, env: readRecordEnv(paths, record.name) })),
    ),
    outLog: record.outLog,
    errLog: record.errLog,
    pidFile: record.pidFile,
  });
}

/** A program spawned for a record, or why it could not be. */
interface Spawned {
  record: ProcessRecord;
  /** Where this run's stderr starts: a crash report shows this run's lines only. */
  errFrom: number;
  child: ChildProcess | null;
  error: unknown;
  spawnedAt: number;
}

async function spawnOne(ctx: Context, record: ProcessRecord): Promise<Spawned> {
  const errFrom = fileSize(record.errLog);
  try {
    const child = await spawnRecord(ctx.paths, record);
    return { record, errFrom, child, error: null, spawnedAt: Date.now() };
  } catch (error) {
    return { record, errFrom, child: null, error, spawnedAt: Date.now() };
  }
}

const running =
  (pid: number, identity: string | null, spawnedAt: number): Change =>
  (r) => ({ ...r, status: 'running', pid, identity, startedAt: new Date(spawnedAt).toISOString(), endedAt: null, exitCode: null, signal: null, launcher: null });

/**
 * Spawns the programs of records that are already written with status `starting`,
 * records their pids, and watches each for `waitMs` from its spawn; one outcome per
 * record, in order. A program that dies in that time with a failure is an
 * ExitedAtStartError. Spawned SPAWN_BATCH at a time, each batch's records written under
 * one lock: a thousand copies of an app cost fifty locks, not a thousand waiting at once.
 */
export async function launchRecords(ctx: Context, records: ProcessRecord[], waitMs: number): Promise<PromiseSettledResult<LaunchResult>[]> {
  const outcomes: PromiseSettledResult<LaunchResult>[] = new Array(records.length);
  const fail = (i: number, reason: unknown) => {
    outcomes[i] = { status: 'rejected', reason };
  };
  const graces: Promise<void>[] = [];
  const ended: { i: number; spawned: Spawned; exit: { code: number | null; signal: string | null } }[] = [];
  for (let at = 0; at < records.length; at += SPAWN_BATCH) {
    // Each spawn forks at once; the batch is awaited only for Node's 'spawn' events.
    const batch = await Promise.all(records.slice(at, at + SPAWN_BATCH).map((r) => spawnOne(ctx, r)));
    const identities = batch.map((s) => (s.child ? processIdentity(s.child.pid!) : null));
    let written: (ProcessRecord | Error)[];
    try {
      written = await updateAll(
        ctx,
        batch.map((s, k) => ({
          name: s.record.name,
          change: s.child ? running(s.child.pid!, identities[k]!, s.spawnedAt) : (r) => ({ ...r, status: 'errored', pid: null, identity: null, launcher: null }),
        })),
      );
    } catch (error) {
      // The lock or the disk failed: the batch's programs run on, found by their pidfiles later
      // (their records say starting); the CLI must not stay their parent. Nothing more is spawned.
      for (const s of batch) s.child?.unref();
      for (let i = at; i < records.length; i++) fail(i, error);
      break;
    }
    for (const [k, spawned] of batch.entries()) {
      const i = at + k;
      const current = written[k]!;
      if (!spawned.child) {
        fail(i, spawned.error);
        continue;
      }
      if (current instanceof Error) {
        spawned.child.unref();
        fail(i, current);
        continue;
      }
      const { child } = spawned;
      // The grace period runs from the spawn, not from the end of the record update above.
      const left = waitMs - (Date.now() - spawned.spawnedAt);
      const ms = identities[k] === null ? Math.max(left, 50) : waitMs > 0 ? Math.max(left, 1) : 0;
      graces.push(
        waitForExit(child, ms).then((exit) => {
          if (exit !== null) {
            ended.push({ i, spawned, exit });
            return;
          }
          // From here on the program is on its own; bgrun must not keep the CLI alive.
          child.unref();
          outcomes[i] = { status: 'fulfilled', value: { record: current, exitedCleanly: false, child } };
        }),
      );
    }
  }
  await Promise.all(graces);
  const endings = await updateAll(
    ctx,
    ended.map(({ spawned, exit }) => ({
      name: spawned.record.name,
      change: (r) => ({
        ...r,
        // Ended by a `stop` that came during the grace period: stopped, as the stop recorded it.
        status: r.desired === 'stopped' ? 'stopped' : exit.code !== 0 ? 'errored' : 'exited',
        exitCode: exit.code,
        signal: exit.signal,
        endedAt: new Date().toISOString(),
      }),
    })),
  );
  for (const [k, { i, spawned, exit }] of ended.entries()) {
    const current = endings[k]!;
    if (current instanceof Error) fail(i, current);
    else if (exit.code === 0) outcomes[i] = { status: 'fulfilled', value: { record: current, exitedCleanly: true, endedPid: current.pid } };
    else fail(i, exitedAtStart(spawned, exit));
  }
  return outcomes;
}

function exitedAtStart(spawned: Spawned, exit: { code: number | null; signal: string | null }): ExitedAtStartError {
  const { record } = spawned;
  return new ExitedAtStartError({
    appName: record.name,
    exitCode: exit.code,
    signal: exit.signal,
    stderrTail: readErrorReport(record.errLog, spawned.errFrom),
    errLog: record.errLog,
  });
}

/** launchRecords of one record: its result, or its failure thrown. */
export async function launchRecord(ctx: Context, record: ProcessRecord, waitMs: number): Promise<LaunchResult> {
  const [outcome] = await launchRecords(ctx, [record], waitMs);
  if (outcome!.status === 'rejected') throw outcome!.reason;
  return outcome!.value;
}

/**
 * Plain programs are spawned here; supervised ones by the supervisor, which becomes their parent.
 * With a readiness probe (`--ready`), returns only once it passes (src/core/ready/).
 */
export async function launchAny(ctx: Context, record: ProcessRecord, waitMs: number): Promise<LaunchResult> {
  if (record.ready) return (await import('../ready/wait.js')).launchUntilReady(ctx, record, waitMs, launchNow);
  return launchNow(ctx, record, waitMs);
}

async function launchNow(ctx: Context, record: ProcessRecord, waitMs: number): Promise<LaunchResult> {
  if (!isSupervised(record)) {
    const kept = logLimits(record) !== null || record.logTime === true;
    // Started first, so that it watches the log from the program's first lines on; woken after to look at it.
    if (kept) await keepLogs(ctx);
    const result = await launchRecord(ctx, record, waitMs);
    if (kept && !result.exitedCleanly) await keepLogs(ctx);
    return result;
  }
  if (!ctx.supervisor) throw new StartError('SPAWN_FAILED', `cannot start '${record.name}' supervised: this bgrun was built without its supervisor`);
  return ctx.supervisor.launch(ctx, record, waitMs);
}

/** A record to launch and its grace period (a config's apps each have their own). */
export interface LaunchItem {
  record: ProcessRecord;
  waitMs: number;
}

/**
 * Several records at once, each settled as launchAny settles it: plain programs through
 * launchRecords (in batches, one lock each), supervised ones handed to the supervisor
 * together (one supervisor check and wake), the others one by one.
 */
export async function launchAll(ctx: Context, items: LaunchItem[]): Promise<PromiseSettledResult<LaunchResult>[]> {
  const results: PromiseSettledResult<LaunchResult>[] = new Array(items.length);
  const plain = new Map<number, number[]>();
  const supervised: number[] = [];
  const alone: number[] = [];
  for (const [i, { record, waitMs }] of items.entries()) {
    if (record.ready) alone.push(i);
    else if (isSupervised(record)) (ctx.supervisor?.launchMany ? supervised : alone).push(i);
    else if (logLimits(record) !== null || record.logTime === true) alone.push(i);
    else plain.set(waitMs, [...(plain.get(waitMs) ?? []), i]);
  }
  const fill = async (indexes: number[], launch: (chosen: LaunchItem[]) => Promise<PromiseSettledResult<LaunchResult>[]>) => {
    if (indexes.length === 0) return;
    const settled = await launch(indexes.map((i) => items[i]!));
    for (const [k, i] of indexes.entries()) results[i] = settled[k]!;
  };
  await Promise.all([
    ...[...plain.entries()].map(([waitMs, indexes]) =>
      fill(indexes, (chosen) =>
        launchRecords(
          ctx,
          chosen.map((it) => it.record),
          waitMs,
        ),
      ),
    ),
    fill(supervised, (chosen) => ctx.supervisor!.launchMany!(ctx, chosen)),
    fill(alone, (chosen) => Promise.allSettled(chosen.map((it) => launchAny(ctx, it.record, it.waitMs)))),
  ]);
  return results;
}

/**
 * launchAny of many records side by side (copies of an app), one outcome each, in order.
 * Plain programs without a readiness probe go through launchRecords, in batches under
 * one lock each; the others as launchAny launches them.
 */
export async function launchMany(ctx: Context, records: ProcessRecord[], waitMs: number): Promise<PromiseSettledResult<LaunchResult>[]> {
  const batched = records.filter((r) => !isSupervised(r) && !r.ready);
  const kept = batched.some((r) => logLimits(r) !== null || r.logTime === true);
  const others = Promise.allSettled(records.filter((r) => !batched.includes(r)).map((r) => launchAny(ctx, r, waitMs)));
  if (kept) await keepLogs(ctx);
  const plain = await launchRecords(ctx, batched, waitMs);
  if (kept && plain.some((o) => o.status === 'rejected' || !o.value.exitedCleanly)) await keepLogs(ctx);
  const rest = await others;
  return records.map((r) => (batched.includes(r) ? plain[batched.indexOf(r)]! : rest.shift()!));
}

/**
 * A plain program with a log limit or times gets the supervisor's log keeper
 * (src/supervisor/log-keeper.ts). The program never depends on it: if it cannot
 * be started now, the start still succeeds, and the next command tries again.
 */
async function keepLogs(ctx: Context): Promise<void> {
  try {
    await ctx.supervisor?.ensure(ctx);
  } catch {
    // the next bgrun command revives it (cli.ts), and rotates meanwhile
  }
}
