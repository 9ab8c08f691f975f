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
import { readRecord, withLock, writeRecord } from '../records/registry.js';
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
  /** Plain mode: the spawned program while this process is still its parent (for readiness waits). */
  child?: ChildProcess;
  /** Things the user should know about this start (a name that was taken, say), one line each. */
  notes?: string[];
}

async function update(ctx: Context, name: string, change: (r: ProcessRecord) => ProcessRecord): Promise<ProcessRecord> {
  return withLock(ctx.paths, () => {
    const current = readRecord(ctx.paths, name);
    if (!current) throw new StartError('SPAWN_FAILED', `the record of '${name}' disappeared while it was starting`);
    const next = change(current);
    writeRecord(ctx.paths, next);
    return next;
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

/**
 * Spawns the program of a record that is already written with status `starting`,
 * records its pid, and watches it for `waitMs` from the spawn. Throws
 * ExitedAtStartError when it dies in that time with a failure.
 */
export async function launchRecord(ctx: Context, record: ProcessRecord, waitMs: number): Promise<LaunchResult> {
  let child: ChildProcess;
  // Where this run's stderr starts: a crash report shows this run's lines only.
  const errFrom = fileSize(record.errLog);
  try {
    child = await spawnRecord(ctx.paths, record);
  } catch (error) {
    await update(ctx, record.name, (r) => ({ ...r, status: 'errored', pid: null, identity: null, launcher: null }));
    throw error;
  }
  const spawnedAt = Date.now();
  const pid = child.pid!;
  const identity = processIdentity(pid);
  const startedAt = new Date(spawnedAt).toISOString();
  let current = await update(ctx, record.name, (r) => ({
    ...r,
    status: 'running',
    pid,
    identity,
    startedAt,
    endedAt: null,
    exitCode: null,
    signal: null,
    launcher: null,
  }));

  // The grace period runs from the spawn, not from the end of the record update above.
  const left = waitMs - (Date.now() - spawnedAt);
  const exit = await waitForExit(child, identity === null ? Math.max(left, 50) : waitMs > 0 ? Math.max(left, 1) : 0);
  if (exit === null) {
    // From here on the program is on its own; bgrun must not keep the CLI alive.
    child.unref();
    return { record: current, exitedCleanly: false, child };
  }
  const failed = exit.code !== 0;
  current = await update(ctx, record.name, (r) => ({
    ...r,
    // Ended by a `stop` that came during the grace period: stopped, as the stop recorded it.
    status: r.desired === 'stopped' ? 'stopped' : failed ? 'errored' : 'exited',
    exitCode: exit.code,
    signal: exit.signal,
    endedAt: new Date().toISOString(),
  }));
  if (failed) {
    throw new ExitedAtStartError({
      appName: record.name,
      exitCode: exit.code,
      signal: exit.signal,
      stderrTail: readErrorReport(record.errLog, errFrom),
      errLog: record.errLog,
    });
  }
  return { record: current, exitedCleanly: true };
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
