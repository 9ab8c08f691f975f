/**
 * Waiting for a readiness probe (parse.ts, probes.ts): bgrun polls the probe after
 * the grace period and fails with the stderr tail when the program dies first or
 * the timeout passes.
 */
import type { ChildProcess } from 'node:child_process';
import { NotReadyError } from '../../errors.js';
import type { Context } from '../context.js';
import type { LaunchResult } from '../lifecycle/launch.js';
import { readErrorReport } from '../logs/error-report.js';
import { fileSize } from '../logs/read.js';
import type { ProcessRecord } from '../records/record.js';
import { readRecord, withLock, writeRecord } from '../records/registry.js';
import { observe } from '../lifecycle/status.js';
import { DEFAULT_READY_TIMEOUT_MS, type Probe, parseProbe } from './parse.js';
import { type LogMark, checkProbe, markLogs } from './probes.js';

export { DEFAULT_READY_TIMEOUT_MS };
const POLL_MS = 100;
/** One probe attempt never takes longer than this, so a death is noticed in time. */
const ATTEMPT_MS = 2000;
const MIN_ATTEMPT_MS = 500;
const NOT_CHECKED = 'not checked yet';
/** A log probe on a program bgrun did not just start looks this far back. */
const LOG_LOOKBACK_BYTES = 1024 * 1024;


function formatMs(ms: number): string {
  if (ms < 1000) return `${ms}ms`;
  return `${Math.round(ms / 100) / 10}s`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Ended {
  exitCode: number | null;
  signal: string | null;
  record: ProcessRecord;
}

export interface WaitReadyOptions {
  /** Fails once this passes (epoch ms). */
  deadline: number;
  timeoutMs: number;
  /** Log offsets taken before the launch; default: the logs as they are now, minus a look-back. */
  marks?: LogMark[];
  /** Plain mode: the child, while bgrun is still its parent, for its exit code. */
  child?: ChildProcess;
  /** The size of the stderr log when this start began: a report shows only what came after. */
  errFrom?: number;
}

/**
 * Polls `probe` until it passes for the run of `record` (its pid). Throws
 * NotReadyError with the stderr tail when that run ends first or the deadline
 * passes; the program is left running on a timeout. On success the record gets
 * `readyAt` and is returned.
 */
export async function waitUntilReady(
  ctx: Context,
  record: ProcessRecord,
  probe: Probe,
  options: WaitReadyOptions,
): Promise<ProcessRecord> {
  const name = record.name;
  const marks = options.marks ?? markLogs([record.outLog, record.errLog], LOG_LOOKBACK_BYTES);
  const startedAt = record.startedAt ? Date.parse(record.startedAt) : Date.now();
  let exited: { code: number | null; signal: string | null } | null = null;
  const child = options.child;
  const onExit = (code: number | null, signal: string | null) => {
    exited = { code, signal };
  };
  if (child) {
    if (child.exitCode !== null || child.signalCode !== null) exited = { code: child.exitCode, signal: child.signalCode };
    else child.once('exit', onExit);
  }

  const ended = async (): Promise<Ended | null> => {
    if (exited) {
      const { code, signal } = exited;
      const failed = code !== 0;
      const current = await withLock(ctx.paths, () => {
        const now = readRecord(ctx.paths, name);
        if (!now || now.pid !== record.pid) return now ?? record;
        const next: ProcessRecord = {
          ...now,
          status: failed ? 'errored' : 'exited',
          exitCode: code,
          signal,
          endedAt: new Date().toISOString(),
        };
        writeRecord(ctx.paths, next);
        return next;
      });
      return { exitCode: code, signal, record: current };
    }
    const now = readRecord(ctx.paths, name);
    if (!now) return { exitCode: null, signal: null, record };
    const seen = observe(now).record;
    if (seen.pid === record.pid && seen.status === 'running' && seen.restarts === record.restarts) return null;
    if (child && !exited) {
      // Seen dead (a zombie) a moment before Node reaps it and reports the exit code.
      await new Promise((resolve) => {
        const timer = setTimeout(resolve, 500);
        child.once('exit', () => {
          clearTimeout(timer);
          resolve(null);
        });
      });
      if (exited) return ended();
    }
    // Supervised: the supervisor recorded how the run ended.
    return { exitCode: seen.exitCode, signal: seen.signal, record: seen };
  };

  let lastReason = NOT_CHECKED;
  try {
    for (;;) {
      const gone = await ended();
      if (gone) throw exitedError(record, probe, gone, options.errFrom);
      const remaining = options.deadline - Date.now();
      // An attempt may run a little past the deadline: cut shorter, a loaded machine would only report its own slowness.
      const reason = await checkProbe(probe, { marks, startedAt }, Math.max(MIN_ATTEMPT_MS, Math.min(ATTEMPT_MS, remaining)));
      if (reason === null) {
        // A port can be answered by someone else: the program itself must still be there.
        const goneSince = await ended();
        if (goneSince) throw exitedError(record, probe, goneSince, options.errFrom);
        return await markReady(ctx, record);
      }
      // An attempt that timed out says less than an answer seen before it (refused, HTTP 503).
      if (reason !== 'timed out' || lastReason === NOT_CHECKED) lastReason = reason;
      const left = options.deadline - Date.now();
      if (left <= 0) throw timeoutError(record, probe, options.timeoutMs, lastReason, options.errFrom);
      const pause = probe.kind === 'delay' ? Math.min(left, Math.max(10, startedAt + probe.ms - Date.now())) : POLL_MS;
      await sleep(Math.min(pause, left));
    }
  } finally {
    child?.off('exit', onExit);
  }
}

async function markReady(ctx: Context, record: ProcessRecord): Promise<ProcessRecord> {
  return withLock(ctx.paths, () => {
    const now = readRecord(ctx.paths, record.name);
    if (!now || now.pid !== record.pid) return record;
    const next: ProcessRecord = { ...now, readyAt: new Date().toISOString() };
    writeRecord(ctx.paths, next);
    return next;
  });
}

function exitedError(record: ProcessRecord, probe: Probe, gone: Ended, errFrom: number | undefined): NotReadyError {
  const how = gone.signal
    ? `was killed by ${gone.signal}`
    : gone.exitCode === null
      ? 'exited'
      : `exited with code ${gone.exitCode}`;
  let message = `'${record.name}' ${how} before it was ready (${probe.text}); its stderr is in ${record.errLog}`;
  const now = gone.record;
  if (record.restart !== 'no' && now.desired === 'running' && now.status !== 'errored') {
    message += `; bgrun keeps restarting it (--restart ${record.restart}); stop it with 'bgrun stop ${record.name}'`;
  }
  return new NotReadyError({
    appName: record.name,
    reason: 'exited',
    message,
    stderrTail: readErrorReport(record.errLog, errFrom),
    errLog: record.errLog,
  });
}

function timeoutError(record: ProcessRecord, probe: Probe, timeoutMs: number, reason: string, errFrom: number | undefined): NotReadyError {
  return new NotReadyError({
    appName: record.name,
    reason: 'timeout',
    message:
      `'${record.name}' was not ready within ${formatMs(timeoutMs)} (${probe.text}: ${reason}); ` +
      `it is still running (pid ${record.pid}): see 'bgrun logs ${record.name}', or stop it with 'bgrun stop ${record.name}'`,
    stderrTail: readErrorReport(record.errLog, errFrom),
    errLog: record.errLog,
  });
}

/**
 * Launches a record that has a probe and returns once the probe passes. The
 * log offsets are taken before the spawn, so a line written at once is seen.
 */
export async function launchUntilReady(
  ctx: Context,
  record: ProcessRecord,
  waitMs: number,
  launch: (ctx: Context, record: ProcessRecord, waitMs: number) => Promise<LaunchResult>,
): Promise<LaunchResult> {
  const probe = parseProbe(record.ready!, `readiness probe of '${record.name}'`);
  const timeoutMs = record.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
  const marks = markLogs([record.outLog, record.errLog]);
  const errFrom = fileSize(record.errLog);
  const deadline = Date.now() + timeoutMs;
  const result = await launch(ctx, record, waitMs);
  if (result.exitedCleanly) {
    throw exitedError(result.record, probe, { exitCode: 0, signal: null, record: result.record }, errFrom);
  }
  const ready = await waitUntilReady(ctx, result.record, probe, { deadline, timeoutMs, marks, child: result.child, errFrom });
  return { ...result, record: ready };
}

/**
 * For a program that is already running (a dependency bgrun did not just start):
 * ready when its probe passed during this run, else when the probe passes now.
 */
export async function awaitRunningReady(ctx: Context, record: ProcessRecord, probeText: string | null, timeoutMs: number): Promise<ProcessRecord> {
  if (!probeText) return record;
  const probe = parseProbe(probeText, `readiness probe of '${record.name}'`);
  if (record.readyAt && record.startedAt && record.readyAt >= record.startedAt && record.ready === probeText) return record;
  return waitUntilReady(ctx, record, probe, { deadline: Date.now() + timeoutMs, timeoutMs });
}
