/**
 * `--health <probe>`: checks a running program every `--health-interval`;
 * after `--health-retries` failures in a row it is restarted (a graceful stop
 * of its tree, then a start), which Docker never does (moby#28400).
 *
 * - Never before the program is ready: with `--ready`, checks begin once that
 *   probe passed for this run (or once `--ready-timeout` ran out: a program
 *   that never gets ready is then restarted by its failing checks).
 * - One check at a time per program: the next is timed from the end of the last,
 *   so a slow endpoint never piles checks up.
 * - A run of its own per pid: a new run starts with a clean count.
 *
 * The checks read a program's settings and state (HealthTarget) and get its output and
 * environment from a host: the supervisor's records and log files (recordHost), or the
 * pipes of `bgrun run` (run/foreground.ts), so both run the same checks.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { Context } from '../core/context.js';
import { composeEnv } from '../core/processes/env-file.js';
import { groupSignaller } from '../core/processes/identity.js';
import { type Probe, tryParseProbe } from '../core/ready/parse.js';
import { checkProbe, logMatches, markLogs } from '../core/ready/probes.js';
import type { ProcessRecord } from '../core/records/record.js';
import { isSupervised } from '../core/records/supervised.js';
import { readRecordEnv } from '../core/records/record-env.js';
import { DEFAULT_HEALTH_INTERVAL_MS, DEFAULT_HEALTH_RETRIES, DEFAULT_HEALTH_TIMEOUT_MS } from '../core/supervision.js';

const DEFAULT_READY_TIMEOUT_MS = 30_000;
const READY_POLL_MS = 500;
/** A program adopted after a supervisor restart: its log probe looks this far back. */
const LOG_LOOKBACK_BYTES = 64 * 1024;
const MAX_CMD_OUTPUT = 2048;

type HealthProbe = Probe | { kind: 'cmd'; text: string; command: string };

/** What the checks read of a program: a record of the supervisor, or an app of `bgrun run`. */
export type HealthTarget = Pick<
  ProcessRecord,
  | 'name'
  | 'pid'
  | 'status'
  | 'desired'
  | 'restart'
  | 'startedAt'
  | 'health'
  | 'healthIntervalMs'
  | 'healthTimeoutMs'
  | 'healthRetries'
  | 'ready'
  | 'readyAt'
  | 'readyTimeoutMs'
  | 'unhealthy'
>;

/** A program's output from some point on, for log: probes. */
export interface OutputCursor {
  /** Whether a line matching `pattern` came since the last call (the first: since the cursor was made). */
  sawMatch(pattern: RegExp): boolean;
}

/** Where the checks get what is not in the settings: the program's output and a cmd: check's environment. */
export interface HealthHost<T extends HealthTarget> {
  /**
   * Marks where the program's output is now (before a spawn, or when checks begin);
   * each call of the result makes a cursor of its own from that point. `lookback`: the
   * start of this run was not seen (a program adopted by a new supervisor).
   */
  markOutput(target: T, lookback: boolean): () => OutputCursor;
  /** The environment and folder of a cmd: check. */
  commandEnv(target: T): { env: Record<string, string>; cwd: string };
}

/** The supervisor's host: log files and the environment kept beside the record. */
export function recordHost(ctx: Context): HealthHost<ProcessRecord> {
  return {
    markOutput(record, lookback) {
      const marks = markLogs([record.outLog, record.errLog], lookback ? LOG_LOOKBACK_BYTES : 0);
      return () => {
        const own = marks.map((m) => ({ ...m }));
        return { sawMatch: (pattern) => logMatches(own, pattern) };
      };
    },
    commandEnv(record) {
      let env: Record<string, string>;
      try {
        env = composeEnv({ ...record, env: readRecordEnv(ctx.paths, record.name) });
      } catch {
        env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
      }
      return { env, cwd: fs.existsSync(record.cwd) ? record.cwd : ctx.paths.home };
    },
  };
}

interface Checking<T extends HealthTarget> {
  pid: number;
  record: T;
  probe: HealthProbe | null;
  timer: NodeJS.Timeout | null;
  failures: number;
  ready: boolean;
  readyDeadline: number;
  readyProbe: Probe | null;
  output: OutputCursor;
  readyOutput: OutputCursor;
  startedAt: number;
  done: boolean;
}

export interface HealthEvents {
  /** Failed `retries` times in a row: restart it. */
  unhealthy(name: string, pid: number, reason: string): void;
  /** The first failure, and the first pass after failures: for `list`. */
  changed(name: string, pid: number, unhealthy: boolean, reason: string | null): void;
  /** The ready probe passed for this run (the supervisor restarted it, no command waited). */
  ready(name: string, pid: number): void;
}

export function parseHealthProbe(text: string): HealthProbe | string {
  const trimmed = text.trim();
  if (trimmed.startsWith('cmd:')) return { kind: 'cmd', text: trimmed, command: trimmed.slice(4).trim() };
  if (trimmed.startsWith('delay:')) return 'delay: is not a health check';
  return tryParseProbe(trimmed);
}

export class HealthChecks<T extends HealthTarget = ProcessRecord> {
  private readonly checking = new Map<string, Checking<T>>();
  /** Output marked right before a spawn, so a log probe sees the new run's first lines. */
  private readonly spawnMarks = new Map<string, () => OutputCursor>();

  constructor(
    private readonly host: HealthHost<T>,
    private readonly log: (line: string) => void,
    private readonly events: HealthEvents,
    private readonly report: (name: string, problem: string | null) => void,
  ) {}

  beforeSpawn(record: T): void {
    if (record.health || record.ready) this.spawnMarks.set(record.name, this.host.markOutput(record, false));
  }

  sync(records: T[]): void {
    const wanted = new Map(
      records
        .filter((r) => r.health && r.desired === 'running' && isSupervised(r) && r.status === 'running' && r.pid !== null)
        .map((r) => [r.name, r]),
    );
    for (const [name, c] of this.checking) {
      const record = wanted.get(name);
      if (!record || record.pid !== c.pid || record.health !== c.record.health) this.end(name);
      else c.record = record;
    }
    for (const [name, record] of wanted) if (!this.checking.has(name)) this.begin(record);
  }

  private begin(record: T): void {
    const name = record.name;
    const parsed = parseHealthProbe(record.health!);
    const startedAt = record.startedAt ? Date.parse(record.startedAt) : Date.now();
    const fresh = this.spawnMarks.get(name);
    this.spawnMarks.delete(name);
    const cursor = fresh ?? this.host.markOutput(record, true);
    const readyParsed = record.ready ? tryParseProbe(record.ready) : null;
    const c: Checking<T> = {
      pid: record.pid!,
      record,
      probe: typeof parsed === 'string' ? null : parsed,
      timer: null,
      failures: 0,
      // Ready already (a command waited for it), or nothing to wait for.
      ready: !record.ready || Boolean(record.readyAt && record.startedAt && record.readyAt >= record.startedAt),
      readyDeadline: startedAt + (record.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS),
      readyProbe: typeof readyParsed === 'string' ? null : readyParsed,
      output: cursor(),
      readyOutput: cursor(),
      startedAt,
      done: false,
    };
    this.checking.set(name, c);
    if (typeof parsed === 'string') {
      const problem = `--health "${record.health}" cannot run: ${parsed}`;
      this.log(`${name}: ${problem}`);
      this.report(name, problem);
      return;
    }
    if (c.ready) this.next(name, c, this.interval(c));
    else this.next(name, c, 0);
  }

  private interval(c: Checking<T>): number {
    return c.record.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS;
  }

  private next(name: string, c: Checking<T>, delayMs: number): void {
    if (c.done) return;
    c.timer = setTimeout(() => {
      c.timer = null;
      const step = c.ready ? this.check(name, c) : this.awaitReady(name, c);
      step.catch((error: unknown) => {
        this.log(`error in the health check of ${name}: ${(error as Error).message}`);
        this.next(name, c, this.interval(c));
      });
    }, delayMs);
  }

  private async awaitReady(name: string, c: Checking<T>): Promise<void> {
    if (!c.readyProbe) {
      c.ready = true;
    } else {
      const reason = await this.attempt(c.readyProbe, c.readyOutput, c.startedAt, 2000);
      if (c.done) return;
      if (reason === null) {
        c.ready = true;
        this.log(`${name} is ready (${c.record.ready}); health checks begin`);
        this.events.ready(name, c.pid);
      } else if (Date.now() >= c.readyDeadline) {
        c.ready = true;
        this.log(`${name} was not ready (${c.record.ready}: ${reason}) within its ready timeout; health checks begin anyway`);
      }
    }
    this.next(name, c, c.ready ? this.interval(c) : READY_POLL_MS);
  }

  private async check(name: string, c: Checking<T>): Promise<void> {
    const timeoutMs = c.record.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS;
    const reason = await this.probe(c, timeoutMs);
    if (c.done) return;
    const retries = c.record.healthRetries ?? DEFAULT_HEALTH_RETRIES;
    if (reason === null) {
      if (c.failures > 0 || c.record.unhealthy) {
        this.log(`${name} is healthy again (${c.record.health})`);
        this.events.changed(name, c.pid, false, null);
      }
      c.failures = 0;
      this.next(name, c, this.interval(c));
      return;
    }
    c.failures++;
    this.log(`health check of ${name} failed (${c.failures}/${retries}): ${c.record.health}: ${reason}`);
    if (c.failures === 1) this.events.changed(name, c.pid, true, reason);
    if (c.failures >= retries) {
      c.done = true;
      this.events.unhealthy(name, c.pid, `${c.record.health}: ${reason}`);
      return;
    }
    this.next(name, c, this.interval(c));
  }

  private async probe(c: Checking<T>, timeoutMs: number): Promise<string | null> {
    const probe = c.probe!;
    if (probe.kind === 'cmd') return this.runCommand(c, probe.command, timeoutMs);
    if (probe.kind === 'log') {
      // A heartbeat: healthy when a matching line was written since the last check.
      return c.output.sawMatch(probe.pattern) ? null : 'no matching line since the last check';
    }
    return this.attempt(probe, c.output, c.startedAt, timeoutMs);
  }

  /** One attempt of a ready or health probe: log: reads the host's output, the others look for themselves. */
  private attempt(probe: Probe, output: OutputCursor, startedAt: number, timeoutMs: number): Promise<string | null> {
    if (probe.kind === 'log') return Promise.resolve(output.sawMatch(probe.pattern) ? null : 'no matching line yet');
    return checkProbe(probe, { marks: [], startedAt }, timeoutMs);
  }

  /** `cmd:` runs through sh -c in the program's folder and environment; exit 0 = healthy. */
  private runCommand(c: Checking<T>, command: string, timeoutMs: number): Promise<string | null> {
    const record = c.record;
    const { env, cwd } = this.host.commandEnv(record);
    return new Promise((resolve) => {
      let child: ChildProcess;
      try {
        child = spawn('/bin/sh', ['-c', command], {
          cwd,
          env: { ...env, BGRUN_NAME: record.name, BGRUN_PID: String(c.pid) },
          detached: true,
          stdio: ['ignore', 'ignore', 'pipe'],
        });
      } catch (error) {
        resolve(`cannot run: ${(error as Error).message}`);
        return;
      }
      let stderr = '';
      child.stderr?.on('data', (chunk: Buffer) => {
        if (stderr.length < MAX_CMD_OUTPUT) stderr += chunk.toString('utf8');
      });
      // Right after the spawn: it takes the command's identity while it surely runs.
      const killGroup = groupSignaller(child);
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup('SIGKILL');
      }, timeoutMs);
      const finish = (reason: string | null) => {
        clearTimeout(timer);
        resolve(reason);
      };
      child.once('error', (error) => finish(`cannot run: ${error.message}`));
      child.once('close', (code, signal) => {
        if (timedOut) return finish(`timed out after ${timeoutMs} ms`);
        if (code === 0) return finish(null);
        const last = stderr.trim().split('\n').pop();
        finish(`${signal ? `killed by ${signal}` : `exited with code ${code}`}${last ? ` (${last.slice(0, 200)})` : ''}`);
      });
    });
  }

  private end(name: string): void {
    const c = this.checking.get(name);
    if (!c) return;
    c.done = true;
    if (c.timer) clearTimeout(c.timer);
    this.checking.delete(name);
  }

  closeAll(): void {
    for (const name of [...this.checking.keys()]) this.end(name);
  }

  get size(): number {
    return this.checking.size;
  }
}
