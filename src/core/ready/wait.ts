/**
 * Readiness probes (`--ready`): when is a program that started actually usable?
 *
 *   tcp:PORT, tcp:HOST:PORT        a connection is accepted (no HOST: 127.0.0.1 or ::1)
 *   http://HOST:PORT/PATH          a GET answers 2xx (https too)
 *   log:/REGEX/flags, log:TEXT     a line of its stdout or stderr written since the start matches
 *   delay:DURATION                 it is still running this long after it started
 *
 * bgrun polls the probe after the grace period and fails with the stderr tail
 * when the program dies first or the timeout passes.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import { NotReadyError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import { parseDuration } from '../duration.js';
import type { LaunchResult } from '../lifecycle/launch.js';
import { readTail } from '../logs/read.js';
import type { ProcessRecord } from '../records/record.js';
import { readRecord, withLock, writeRecord } from '../records/registry.js';
import { observe } from '../lifecycle/status.js';

export const DEFAULT_READY_TIMEOUT_MS = 30_000;
const POLL_MS = 100;
/** One probe attempt never takes longer than this, so a death is noticed in time. */
const ATTEMPT_MS = 2000;
const MIN_ATTEMPT_MS = 500;
const NOT_CHECKED = 'not checked yet';
const STDERR_TAIL_LINES = 10;
/** A log probe on a program bgrun did not just start looks this far back. */
const LOG_LOOKBACK_BYTES = 1024 * 1024;

export type Probe =
  | { kind: 'tcp'; text: string; hosts: string[]; port: number }
  | { kind: 'http'; text: string; url: URL }
  | { kind: 'log'; text: string; pattern: RegExp }
  | { kind: 'delay'; text: string; ms: number };

const EXPECTED = 'expected tcp:PORT, tcp:HOST:PORT, http://HOST:PORT/PATH, log:/REGEX/ or delay:DURATION';

function parsePort(text: string): number | null {
  if (!/^\d{1,5}$/.test(text)) return null;
  const port = Number(text);
  return port >= 1 && port <= 65535 ? port : null;
}

/** The probe, or why `text` is not one (for messages of the CLI and of config files alike). */
export function tryParseProbe(text: string): Probe | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('tcp:')) {
    const rest = trimmed.slice(4);
    const match = /^(?:(\[[^\]]+\]|[^:]+):)?([^:]*)$/.exec(rest);
    const port = match ? parsePort(match[2]!) : null;
    if (!match || port === null) return `expected tcp:PORT or tcp:HOST:PORT with a port from 1 to 65535, got "${text}"`;
    const host = match[1]?.replace(/^\[|\]$/g, '');
    const hosts = host === undefined || host === 'localhost' ? ['127.0.0.1', '::1'] : [host];
    return { kind: 'tcp', text: trimmed, hosts, port };
  }
  if (/^https?:\/\//i.test(trimmed)) {
    try {
      return { kind: 'http', text: trimmed, url: new URL(trimmed) };
    } catch {
      return `expected a URL such as http://127.0.0.1:3000/health, got "${text}"`;
    }
  }
  if (trimmed.startsWith('log:')) {
    const body = trimmed.slice(4);
    const literal = /^\/(.*)\/([a-z]*)$/s.exec(body);
    if (literal) {
      try {
        // g and y would make test() remember where it stopped; they mean nothing for one line.
        const pattern = new RegExp(literal[1]!, literal[2]!.replace(/[gy]/g, ''));
        if (literal[1] === '') return 'expected a non-empty regular expression after log:';
        return { kind: 'log', text: trimmed, pattern };
      } catch (error) {
        return `invalid regular expression in "${text}": ${(error as Error).message}`;
      }
    }
    if (body === '') return 'expected log:/REGEX/ or log:TEXT';
    return { kind: 'log', text: trimmed, pattern: new RegExp(body.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')) };
  }
  if (trimmed.startsWith('delay:')) {
    try {
      return { kind: 'delay', text: trimmed, ms: parseDuration(trimmed.slice(6)) };
    } catch {
      return `expected a duration after delay: such as 500ms, 2s or 1m, got "${text}"`;
    }
  }
  return `${EXPECTED}, got "${text}"`;
}

/** Parses a probe typed on the command line; a bad one is a usage error. */
export function parseProbe(text: string, what = '--ready'): Probe {
  const probe = tryParseProbe(text);
  if (typeof probe === 'string') throw new UsageError(`invalid ${what}: ${probe}`, 'INVALID_PROBE');
  return probe;
}

/** Where the logs ended before the launch: a log probe only looks at what comes after. */
export interface LogMark {
  file: string;
  offset: number;
  ino: number | null;
  /** An unfinished last line carried over to the next read. */
  carry: string;
}

export function markLogs(files: string[], lookbackBytes = 0): LogMark[] {
  return files.map((file) => {
    try {
      const st = fs.statSync(file);
      return { file, offset: Math.max(0, st.size - lookbackBytes), ino: st.ino, carry: '' };
    } catch {
      return { file, offset: 0, ino: null, carry: '' };
    }
  });
}

function readNewText(mark: LogMark): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(mark.file);
  } catch {
    return '';
  }
  if ((mark.ino !== null && st.ino !== mark.ino) || st.size < mark.offset) {
    // Rotated or truncated since: start over at the beginning of what is there now.
    mark.offset = 0;
    mark.carry = '';
  }
  mark.ino = st.ino;
  if (st.size <= mark.offset) return '';
  const fd = fs.openSync(mark.file, 'r');
  try {
    const buf = Buffer.allocUnsafe(st.size - mark.offset);
    const read = fs.readSync(fd, buf, 0, buf.length, mark.offset);
    mark.offset += read;
    return buf.subarray(0, read).toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function logMatches(marks: LogMark[], pattern: RegExp): boolean {
  let found = false;
  for (const mark of marks) {
    const lines = (mark.carry + readNewText(mark)).split('\n');
    mark.carry = lines.pop() ?? '';
    if (lines.some((line) => pattern.test(line.replace(/\r$/, '')))) found = true;
    // A last line without its newline yet counts too ("Listening..." then nothing).
    if (!found && mark.carry !== '' && pattern.test(mark.carry)) found = true;
  }
  return found;
}

function describeNetError(error: NodeJS.ErrnoException): string {
  switch (error.code) {
    case 'ECONNREFUSED':
      return 'connection refused';
    case 'ECONNRESET':
      return 'connection reset';
    case 'ETIMEDOUT':
      return 'timed out';
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return 'unknown host';
    default:
      return error.code ?? error.message;
  }
}

/*
 * Attempt timeouts fire through setImmediate: on a loaded machine the process may
 * wake up with both its timer and the socket's answer due; timers run before I/O in
 * an event-loop turn, immediates after, so the answer (refused, 503) wins.
 */
/**
 * The network modules (with tls, crypto, dgram behind them) load only when a probe
 * runs: this file is reached by every command that reads config files.
 */
const requireBuiltin = createRequire(import.meta.url);

function tryTcp(host: string, port: number, timeoutMs: number): Promise<string | null> {
  const net = requireBuiltin('node:net') as typeof import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (reason: string | null) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(reason);
    };
    const timer = setTimeout(() => setImmediate(() => done('timed out')), timeoutMs);
    socket.once('connect', () => done(null));
    socket.once('error', (error) => done(describeNetError(error)));
  });
}

async function checkTcp(probe: Extract<Probe, { kind: 'tcp' }>, timeoutMs: number): Promise<string | null> {
  const reasons = await Promise.all(probe.hosts.map((host) => tryTcp(host, probe.port, timeoutMs)));
  if (reasons.includes(null)) return null;
  return reasons[0]!;
}

/** node:http without keep-alive: an idle pooled socket must not keep the CLI alive afterwards. */
function checkHttp(probe: Extract<Probe, { kind: 'http' }>, timeoutMs: number): Promise<string | null> {
  return new Promise((resolve) => {
    const client = requireBuiltin(probe.url.protocol === 'https:' ? 'node:https' : 'node:http') as typeof import('node:http');
    let settled = false;
    const done = (reason: string | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request.destroy();
      resolve(reason);
    };
    const request = client.get(probe.url, { agent: false, headers: { 'user-agent': 'bgrun-ready' } }, (response) => {
      const status = response.statusCode ?? 0;
      response.resume();
      done(status >= 200 && status < 300 ? null : `HTTP ${status}`);
    });
    const timer = setTimeout(() => setImmediate(() => done('timed out')), timeoutMs);
    request.once('error', (error) => done(describeNetError(error)));
  });
}

/** null when the probe passes, else why not yet. */
async function checkProbe(
  probe: Probe,
  state: { marks: LogMark[]; startedAt: number },
  timeoutMs: number,
): Promise<string | null> {
  switch (probe.kind) {
    case 'tcp':
      return checkTcp(probe, timeoutMs);
    case 'http':
      return checkHttp(probe, timeoutMs);
    case 'log':
      return logMatches(state.marks, probe.pattern) ? null : 'no matching line yet';
    case 'delay':
      return Date.now() - state.startedAt >= probe.ms ? null : 'not yet';
  }
}

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
      if (gone) throw exitedError(record, probe, gone);
      const remaining = options.deadline - Date.now();
      // An attempt may run a little past the deadline: cut shorter, a loaded machine would only report its own slowness.
      const reason = await checkProbe(probe, { marks, startedAt }, Math.max(MIN_ATTEMPT_MS, Math.min(ATTEMPT_MS, remaining)));
      if (reason === null) {
        // A port can be answered by someone else: the program itself must still be there.
        const goneSince = await ended();
        if (goneSince) throw exitedError(record, probe, goneSince);
        return await markReady(ctx, record);
      }
      // An attempt that timed out says less than an answer seen before it (refused, HTTP 503).
      if (reason !== 'timed out' || lastReason === NOT_CHECKED) lastReason = reason;
      const left = options.deadline - Date.now();
      if (left <= 0) throw timeoutError(record, probe, options.timeoutMs, lastReason);
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

function exitedError(record: ProcessRecord, probe: Probe, gone: Ended): NotReadyError {
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
    stderrTail: readTail(record.errLog, STDERR_TAIL_LINES),
    errLog: record.errLog,
  });
}

function timeoutError(record: ProcessRecord, probe: Probe, timeoutMs: number, reason: string): NotReadyError {
  return new NotReadyError({
    appName: record.name,
    reason: 'timeout',
    message:
      `'${record.name}' was not ready within ${formatMs(timeoutMs)} (${probe.text}: ${reason}); ` +
      `it is still running (pid ${record.pid}): see 'bgrun logs ${record.name}', or stop it with 'bgrun stop ${record.name}'`,
    stderrTail: readTail(record.errLog, STDERR_TAIL_LINES),
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
  const deadline = Date.now() + timeoutMs;
  const result = await launch(ctx, record, waitMs);
  if (result.exitedCleanly) {
    throw exitedError(result.record, probe, { exitCode: 0, signal: null, record: result.record });
  }
  const ready = await waitUntilReady(ctx, result.record, probe, { deadline, timeoutMs, marks, child: result.child });
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
