/**
 * `bgrun run`: the apps in the foreground, as children of this process. Their output
 * comes through pipes and is printed line by line with each app's name in front; their
 * restart policies are the supervisor's (supervisor/policy.ts), and so are its watches,
 * schedules and health checks (supervisor/watch.ts, cron.ts, health.ts), fed from these
 * apps instead of records; a signal stops them all. Nothing is written to the state
 * folder: bgrun run is the one authority over its apps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { afterDependencies, startOrder } from '../config/order.js';
import type { ConfigApp } from '../config/validate-config.js';
import { composeEnv, readEnvFile } from '../core/processes/env-file.js';
import { groupSignaller } from '../core/processes/identity.js';
import { processIdentity } from '../core/processes/process-info.js';
import { DEFAULT_READY_TIMEOUT_MS, type Probe, tryParseProbe } from '../core/ready/parse.js';
import { checkProbe } from '../core/ready/probes.js';
import { resolveCommand } from '../core/processes/resolve-command.js';
import { DEFAULT_MIN_UPTIME_MS, supervisionPolicy } from '../core/lifecycle/start.js';
import type { RestartPolicy } from '../core/records/record.js';
import type { SupervisionSettings } from '../core/supervision.js';
import { isValidSignal, terminateTree } from '../core/processes/terminate.js';
import { StartError, describeSystemError } from '../errors.js';
import { LineSplitter, type Prefixer, type Stream, createPrefixer } from '../output/prefix.js';
import { writeAll } from '../stdio.js';
import { Schedules, type ScheduleTarget } from '../supervisor/cron.js';
import { HealthChecks, type HealthHost, type HealthTarget, type OutputCursor } from '../supervisor/health.js';
import { givesUp, nextFailures, restartDelay, shouldRestart } from '../supervisor/policy.js';
import { startsOnEvents } from '../core/records/supervised.js';
import { type WatchTarget, Watches, describeChanges } from '../supervisor/watch.js';

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** The name bgrun's own lines are printed under. */
export const SYSTEM_NAME = 'bgrun';
const READY_POLL_MS = 100;
const READY_ATTEMPT_MS = 2000;
/** After an app exits, how long its pipes may still deliver what it wrote last. */
const DRAIN_MS = 200;
/** How often watched paths are checked for removal (as the supervisor's tick does). */
const TICK_MS = 1000;
/** Lines a log: health probe keeps until its first look: enough for a run's first seconds. */
const CURSOR_LINES = 1000;

export interface ForegroundOptions {
  apps: ConfigApp[];
  /** Where the apps came from, for messages. */
  label: string;
  /** The environment the apps inherit (then their env files and env). */
  env: NodeJS.ProcessEnv;
  color: boolean;
  /** Writes complete lines to stdout (default: fd 1). */
  write?: (text: string) => void;
  /** Between an app's stop signal and SIGKILL (default 10 s). */
  stopTimeoutMs?: number;
  /** bgrun's state folder: never watched, as under the supervisor (bgrun run writes nothing there). */
  stateHome: string;
}

/** A log: probe's view of an app's lines: kept until its first look, then only whether one matched. */
class LineCursor implements OutputCursor {
  private pending: string[] | null = [];
  private pattern: RegExp | null = null;
  private matched = false;

  push(line: string): void {
    if (this.pattern) {
      if (!this.matched && this.pattern.test(line)) this.matched = true;
    } else if (this.pending) {
      this.pending.push(line);
      if (this.pending.length > 2 * CURSOR_LINES) this.pending.splice(0, CURSOR_LINES);
    }
  }

  sawMatch(pattern: RegExp): boolean {
    if (this.pending) this.matched = this.pending.some((line) => pattern.test(line));
    this.pending = null;
    this.pattern = pattern;
    const matched = this.matched;
    this.matched = false;
    return matched;
  }
}

interface AppRun {
  app: ConfigApp;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  /** The app's policy: given, or on-failure when a supervision setting implies it (as with start). */
  restart: RestartPolicy;
  /** Watch, health, stop settings… checked, watch paths absolute. */
  supervision: SupervisionSettings;
  probe: Probe | null;
  child: ChildProcess | null;
  identity: string | null;
  /** Signals the current run's process group, never a stranger's (core/processes/identity.ts). */
  signalGroup: (signal: NodeJS.Signals) => boolean;
  /** Settles once the current run has ended and its output is printed. */
  ended: Promise<void> | null;
  startedAt: number;
  failures: number;
  restarts: number;
  logMatched: boolean;
  retry: NodeJS.Timeout | null;
  /** No run now and none to come (its policy said no restart). */
  finished: boolean;
  /** This run's ready probe passed (ISO time), for the health checks that wait for it. */
  readyAt: string | null;
  /** The start path still waits for this run's ready probe: health checks begin after it. */
  awaitingReady: boolean;
  unhealthy: boolean;
  /** Log: health probes of the current run. */
  cursors: Set<LineCursor>;
  /** A watch, schedule or failed health check is restarting it: its exit is no crash. */
  planned: boolean;
  restarting: boolean;
}

const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const;
const FORWARDED_SIGNALS = ['SIGUSR1', 'SIGUSR2'] as const;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The exit status of a shell for a process that ended so: its code, or 128 + the signal's number. */
export function exitStatusOf(code: number | null, signal: string | null): number {
  if (code !== null) return code;
  const number = signal ? (osConstants.signals as Record<string, number>)[signal] : undefined;
  return 128 + (number ?? 0);
}

function describeEnd(code: number | null, signal: string | null): string {
  return signal ? `was killed by ${signal}` : `exited with code ${code}`;
}

function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

/** Everything that can be checked before anything runs: a refused run starts nothing. */
function prepare(app: ConfigApp, env: NodeJS.ProcessEnv): AppRun {
  const cwd = path.resolve(app.cwd ?? process.cwd());
  let st: fs.Stats;
  try {
    st = fs.statSync(cwd);
  } catch (error) {
    throw new StartError('CWD_NOT_FOUND', `cannot run '${app.name}': working folder ${cwd} is unusable: ${describeSystemError(error)}`);
  }
  if (!st.isDirectory()) throw new StartError('CWD_NOT_FOUND', `cannot run '${app.name}': working folder ${cwd} is not a folder`);
  // As with start: relative env files are the app's folder's.
  const envFiles = (app.envFiles ?? []).map((f) => path.resolve(cwd, f));
  for (const file of envFiles) readEnvFile(file);
  let policy: { restart: RestartPolicy; supervision: SupervisionSettings };
  try {
    policy = supervisionPolicy(app, cwd, env);
  } catch (error) {
    if (error instanceof Error && !error.message.includes(`'${app.name}'`)) error.message = `cannot run '${app.name}': ${error.message}`;
    throw error;
  }
  let command: string[];
  try {
    command = resolveCommand({
      program: app.script,
      args: app.args ?? [],
      cwd,
      env,
      interpreter: app.interpreter ?? null,
      isCommand: app.isCommand ?? false,
    });
  } catch (error) {
    if (error instanceof StartError && !error.message.includes(`'${app.name}'`)) error.message = `cannot run '${app.name}': ${error.message}`;
    throw error;
  }
  const probe = app.ready ? tryParseProbe(app.ready) : null;
  if (typeof probe === 'string') throw new StartError('SPAWN_FAILED', `cannot run '${app.name}': invalid ready probe: ${probe}`);
  return {
    app,
    command,
    cwd,
    env: composeEnv({ env: plainEnv(env), envFiles, envVars: app.env ?? {} }),
    ...policy,
    probe,
    child: null,
    identity: null,
    signalGroup: () => false,
    ended: null,
    startedAt: 0,
    failures: 0,
    restarts: 0,
    logMatched: false,
    retry: null,
    finished: false,
    readyAt: null,
    awaitingReady: false,
    unhealthy: false,
    cursors: new Set(),
    planned: false,
    restarting: false,
  };
}

/** Settings bgrun run does not act on (they need the supervisor's records): named at the start. */
const SUPERVISOR_ONLY: [keyof ConfigApp, string][] = [
  ['onExit', '--on-exit'],
  ['maxMemoryBytes', '--max-memory'],
];

class Foreground {
  private readonly runs: Map<string, AppRun>;
  private readonly order: ConfigApp[];
  private readonly prefixer: Prefixer;
  private readonly write: (text: string) => void;
  private readonly stopTimeoutMs: number;
  private outputGone = false;
  private stopping = false;
  private starting = true;
  private status = 0;
  private resolveDone!: (status: number) => void;
  readonly done = new Promise<number>((resolve) => {
    this.resolveDone = resolve;
  });
  private readonly listeners: [string, () => void][] = [];
  private readonly watches: Watches;
  private readonly schedules: Schedules;
  private readonly health: HealthChecks<HealthTarget>;
  private tick: NodeJS.Timeout | null = null;

  constructor(options: ForegroundOptions) {
    this.order = startOrder(options.apps, undefined, options.label);
    this.runs = new Map(this.order.map((app) => [app.name, prepare(app, options.env)]));
    this.prefixer = createPrefixer([...this.order.map((a) => a.name), SYSTEM_NAME], options.color);
    this.write = options.write ?? ((text) => writeAll(1, text));
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
    // The supervisor's own watch, schedule and health code; what they find is printed as bgrun's lines.
    const log = (line: string) => this.system(line);
    const ignore = () => {};
    this.watches = new Watches(options.stateHome, log, (name, files) => void this.restartRun(this.runs.get(name)!, describeChanges(files)), ignore);
    this.schedules = new Schedules(log, (name) => void this.restartRun(this.runs.get(name)!, 'its --cron-restart schedule'), ignore);
    const host: HealthHost<HealthTarget> = {
      markOutput: (target) => () => {
        const cursor = new LineCursor();
        this.runs.get(target.name)?.cursors.add(cursor);
        return cursor;
      },
      commandEnv: (target) => ({ env: this.runs.get(target.name)!.env, cwd: this.runs.get(target.name)!.cwd }),
    };
    this.health = new HealthChecks(host, log, {
      unhealthy: (name, pid) => {
        const run = this.runs.get(name)!;
        if (run.child?.pid === pid) void this.restartRun(run, 'its health check failed');
      },
      changed: (name, pid, unhealthy) => {
        const run = this.runs.get(name)!;
        if (run.child?.pid === pid) run.unhealthy = unhealthy;
      },
      ready: (name, pid) => {
        const run = this.runs.get(name)!;
        if (run.child?.pid === pid) run.readyAt = new Date().toISOString();
      },
    }, ignore);
  }

  async run(): Promise<number> {
    this.listen();
    for (const run of this.runs.values()) {
      const unused = SUPERVISOR_ONLY.filter(([key]) => run.app[key] !== undefined && run.app[key] !== null).map(([, flag]) => flag);
      if (unused.length > 0) this.system(`${run.app.name}: ${unused.join(', ')} not done by bgrun run (the supervisor does it: bgrun start)`);
    }
    this.tick = setInterval(() => this.syncFeatures(), TICK_MS);
    try {
      const graph = new Map(this.order.map((app) => [app.name, app.dependsOn]));
      const up = afterDependencies<boolean>(graph, async (name, deps) => {
        if (this.stopping || !deps.every(Boolean)) return false;
        return this.startApp(this.runs.get(name)!);
      });
      await Promise.all(up.values());
      this.starting = false;
      this.checkAllFinished();
      return await this.done;
    } finally {
      if (this.tick) clearInterval(this.tick);
      this.closeFeatures();
      for (const [signal, listener] of this.listeners) process.off(signal, listener);
    }
  }

  // Watches, schedules, health checks -----------------------------------------

  /** The app as the supervisor's watch, schedule and health code read a record. */
  private target(run: AppRun): HealthTarget & WatchTarget & ScheduleTarget {
    const running = run.child !== null && !run.awaitingReady;
    return {
      ...run.supervision,
      name: run.app.name,
      pid: running ? (run.child!.pid ?? null) : null,
      status: running ? 'running' : 'starting',
      // Not launched yet (it waits for what it depends on): nothing to watch or schedule yet.
      desired: this.stopping || run.startedAt === 0 ? 'stopped' : 'running',
      restart: run.restart,
      startedAt: run.child ? new Date(run.startedAt).toISOString() : null,
      ready: run.app.ready ?? null,
      readyAt: run.readyAt,
      readyTimeoutMs: run.app.readyTimeoutMs ?? null,
      unhealthy: run.unhealthy,
    };
  }

  private syncFeatures(): void {
    if (this.stopping) {
      this.closeFeatures();
      return;
    }
    const targets = [...this.runs.values()].map((run) => this.target(run));
    try {
      this.watches.sync(targets);
      this.schedules.sync(targets);
      this.health.sync(targets);
    } catch (error) {
      this.system(`error: ${(error as Error).message}`);
    }
  }

  private closeFeatures(): void {
    this.watches.closeAll();
    this.schedules.closeAll();
    this.health.closeAll();
  }

  /** Restarts the app gracefully if it runs (its exit is no crash), starts it if it ended; never during a stop. */
  private async restartRun(run: AppRun, reason: string): Promise<void> {
    // Never one not launched yet: it starts in dependsOn order.
    if (this.stopping || run.restarting || run.startedAt === 0) return;
    run.restarting = true;
    try {
      if (run.retry) clearTimeout(run.retry);
      run.retry = null;
      if (run.child) {
        this.system(`restarting ${run.app.name}: ${reason}`);
        run.planned = true;
        await this.stopRun(run);
      } else {
        this.system(`starting ${run.app.name} again: ${reason}`);
      }
      if (this.stopping) return;
      run.finished = false;
      run.failures = 0;
      run.restarts++;
      await this.spawnRun(run);
    } finally {
      run.restarting = false;
    }
  }

  private listen(): void {
    for (const signal of STOP_SIGNALS) {
      const listener = () => this.onStopSignal(signal);
      process.on(signal, listener);
      this.listeners.push([signal, listener]);
    }
    for (const signal of FORWARDED_SIGNALS) {
      const listener = () => {
        for (const run of this.runs.values()) if (run.child) run.signalGroup(signal);
      };
      process.on(signal, listener);
      this.listeners.push([signal, listener]);
    }
  }

  private onStopSignal(signal: string): void {
    if (!this.stopping) {
      this.system(`${signal}: stopping every app (send it again to kill them at once)`);
      void this.shutdown(0);
      return;
    }
    this.system(`${signal} again: killing every app`);
    this.status = exitStatusOf(null, signal);
    for (const run of this.runs.values()) {
      if (run.child?.pid && run.identity) {
        run.signalGroup('SIGKILL');
        terminateTree(run.child.pid, run.identity, { signal: 'SIGKILL', timeoutMs: 0 }).catch(() => {});
      }
    }
  }

  // Output ------------------------------------------------------------------

  private emit(text: string): void {
    if (this.outputGone) return;
    try {
      this.write(text);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // Whoever read our output is gone (`bgrun run | head`): the apps keep running, their output is dropped.
      if (code === 'EPIPE' || code === 'ECONNRESET') this.outputGone = true;
      else throw error;
    }
  }

  private lines(run: AppRun, lines: string[], stream: Stream): void {
    if (lines.length === 0) return;
    if (run.probe?.kind === 'log' && !run.logMatched) {
      const pattern = run.probe.pattern;
      if (lines.some((line) => pattern.test(line))) run.logMatched = true;
    }
    for (const cursor of run.cursors) for (const line of lines) cursor.push(line);
    const prefix = this.prefixer.prefix(run.app.name, stream);
    this.emit(`${prefix}${lines.join(`\n${prefix}`)}\n`);
  }

  private system(message: string): void {
    this.emit(`${this.prefixer.line(SYSTEM_NAME, message)}\n`);
  }

  // Runs --------------------------------------------------------------------

  /** Spawns the app and waits for its probe; false when it could not start or never became ready. */
  private async startApp(run: AppRun): Promise<boolean> {
    // Health checks of a first run begin once this ready wait is over (no second probe beside it).
    run.awaitingReady = run.probe !== null;
    if (!(await this.spawnRun(run))) return false;
    if (!run.probe) return true;
    const ready = await this.awaitReady(run, run.probe);
    run.awaitingReady = false;
    this.syncFeatures();
    return ready;
  }

  private async spawnRun(run: AppRun): Promise<boolean> {
    const [file, ...args] = run.command;
    let child: ChildProcess;
    try {
      // Own process group and session: a stop reaches the whole tree, a Ctrl-C only bgrun.
      child = spawn(file!, args, { cwd: run.cwd, env: run.env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      this.system(`cannot start ${run.app.name}: ${describeSystemError(error)}`);
      void this.shutdown(1);
      return false;
    }
    const spawned = await new Promise<boolean>((resolve) => {
      child.once('spawn', () => resolve(true));
      child.once('error', (error) => {
        this.system(`cannot start ${run.app.name}: ${describeSystemError(error)}`);
        resolve(false);
      });
    });
    if (!spawned) {
      void this.shutdown(1);
      return false;
    }
    const pid = child.pid!;
    run.child = child;
    run.identity = processIdentity(pid);
    run.signalGroup = groupSignaller(child);
    run.startedAt = Date.now();
    run.logMatched = false;
    run.unhealthy = false;
    run.cursors = new Set();
    const out = new LineSplitter();
    const err = new LineSplitter();
    child.stdout!.on('data', (chunk: Buffer) => this.lines(run, out.push(chunk), 'out'));
    child.stderr!.on('data', (chunk: Buffer) => this.lines(run, err.push(chunk), 'err'));
    const streamsClosed = Promise.all([once(child.stdout!, 'close'), once(child.stderr!, 'close')]);
    run.ended = new Promise<void>((resolve) => {
      child.once('exit', (code, signal) => {
        // What it wrote last may still be in the pipes; a daemon it left behind may hold them open for good.
        void Promise.race([streamsClosed, sleep(DRAIN_MS)]).then(() => {
          this.lines(run, out.end(), 'out');
          this.lines(run, err.end(), 'err');
          if (run.child === child) run.child = null;
          this.onExit(run, code, signal);
          resolve();
        });
      });
    });
    const again = run.restarts > 0 ? ' again' : '';
    this.system(`started ${run.app.name}${again} (pid ${pid}): ${run.command.map(quote).join(' ')}`);
    if (this.stopping) void this.stopRun(run);
    else this.syncFeatures();
    return true;
  }

  private async awaitReady(run: AppRun, probe: Probe): Promise<boolean> {
    const timeoutMs = run.app.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const deadline = Date.now() + timeoutMs;
    let reason = 'not checked yet';
    while (!this.stopping) {
      if (run.child) {
        const result =
          probe.kind === 'log'
            ? run.logMatched
              ? null
              : 'no matching line yet'
            : await checkProbe(probe, { marks: [], startedAt: run.startedAt }, Math.max(1, Math.min(READY_ATTEMPT_MS, deadline - Date.now())));
        if (result === null && run.child) {
          this.system(`${run.app.name} is ready (${probe.text})`);
          run.readyAt = new Date().toISOString();
          return true;
        }
        reason = result ?? reason;
      } else if (run.finished) {
        // A task that ran to its end (on-failure, exit 0): what depends on it may go.
        return true;
      }
      if (Date.now() >= deadline) {
        this.system(`${run.app.name} is not ready after ${formatMs(timeoutMs)} (${probe.text}: ${reason}); stopping everything`);
        void this.shutdown(1);
        return false;
      }
      await sleep(READY_POLL_MS);
    }
    return false;
  }

  private onExit(run: AppRun, code: number | null, signal: string | null): void {
    const name = run.app.name;
    const status = exitStatusOf(code, signal);
    this.syncFeatures();
    if (this.stopping || run.planned) {
      // A restart asked for (watch, schedule, health) starts it again itself.
      run.planned = false;
      this.system(`${name} ${describeEnd(code, signal)}`);
      return;
    }
    const policy = run.restart;
    // With a watch or a schedule, restart no only means its exits are not restarted (as start does).
    if (policy === 'no' && !startsOnEvents(run.supervision)) {
      this.system(`${name} ${describeEnd(code, signal)}; stopping everything (its restart policy is no)`);
      void this.shutdown(status);
      return;
    }
    const end = { exitCode: code, signal };
    run.failures = nextFailures(run.failures, Date.now() - run.startedAt, run.app.minUptimeMs ?? DEFAULT_MIN_UPTIME_MS);
    if (!shouldRestart(policy, end, run.supervision.stopExitCodes)) {
      this.system(`${name} ${describeEnd(code, signal)}; not restarted (restart ${policy})`);
      run.finished = true;
      this.checkAllFinished();
      return;
    }
    if (givesUp(policy, run.app.maxRestarts ?? null, run.failures)) {
      this.system(`${name} ${describeEnd(code, signal)}: ${run.failures} quick crashes in a row, giving up; stopping everything`);
      void this.shutdown(status);
      return;
    }
    const delay = restartDelay(run.failures, run.supervision);
    this.system(`${name} ${describeEnd(code, signal)}; restarting in ${formatMs(delay)}`);
    run.retry = setTimeout(() => {
      run.retry = null;
      if (this.stopping) return;
      run.restarts++;
      void this.spawnRun(run);
    }, delay);
  }

  /** Every app ended for good on its own (none has restart no, none is watched): nothing is left to run. */
  private checkAllFinished(): void {
    if (this.starting || this.stopping) return;
    // A watched or scheduled app that ended is started again by a change or its schedule: bgrun waits for it.
    if ([...this.runs.values()].every((r) => r.finished && !r.child && !r.retry && !r.restarting && !startsOnEvents(r.supervision))) {
      this.system('every app has ended');
      this.stopping = true;
      this.resolveDone(0);
    }
  }

  // Stopping ----------------------------------------------------------------

  private async shutdown(status: number): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.status = status;
    this.closeFeatures();
    for (const run of this.runs.values()) {
      if (run.retry) clearTimeout(run.retry);
      run.retry = null;
    }
    // Dependents first: each app stops once everything that depends on it has stopped.
    const dependents = new Map<string, string[]>(this.order.map((app) => [app.name, []]));
    for (const app of this.order) for (const dep of app.dependsOn) dependents.get(dep)?.push(app.name);
    const down = afterDependencies<void>(dependents, (name) => this.stopRun(this.runs.get(name)!));
    await Promise.all(down.values());
    this.resolveDone(this.status);
  }

  private async stopRun(run: AppRun): Promise<void> {
    const child = run.child;
    if (child?.pid && run.identity) {
      // An app's own stop signal and kill timeout (--stop-signal, --kill-timeout) where it has them.
      const own = run.supervision;
      const named = own.stopSignal ? `SIG${own.stopSignal.toUpperCase().replace(/^SIG/, '')}` : '';
      const signal = isValidSignal(named) ? named : 'SIGTERM';
      try {
        await terminateTree(child.pid, run.identity, { signal, timeoutMs: own.killTimeoutMs ?? this.stopTimeoutMs });
      } catch (error) {
        this.system(`${run.app.name}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    await run.ended;
  }
}


function once(emitter: NodeJS.EventEmitter, event: string): Promise<void> {
  return new Promise((resolve) => emitter.once(event, () => resolve()));
}

function quote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

function formatMs(ms: number): string {
  return ms < 1000 ? `${ms}ms` : `${Math.round(ms / 100) / 10}s`;
}

/**
 * Runs the apps in the foreground until they end or a signal stops them; resolves with
 * the exit status for bgrun: 0 after a stop signal or when every app ended on its own,
 * the status of the app whose end stopped everything otherwise. Throws before starting
 * anything when an app cannot run (a missing script, working folder or env file).
 */
export function runForeground(options: ForegroundOptions): Promise<number> {
  return new Foreground(options).run();
}
