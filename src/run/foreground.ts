/**
 * `bgrun run`: the apps in the foreground, as children of this process. Their output
 * comes through pipes and is printed line by line with each app's name in front; their
 * restart policies are the supervisor's (supervisor/policy.ts); a signal stops them all.
 * Nothing is written to the state folder: bgrun run is the one authority over its apps.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { constants as osConstants } from 'node:os';
import path from 'node:path';
import { afterDependencies, startOrder } from '../config/order.js';
import type { ConfigApp } from '../config/validate-config.js';
import { composeEnv, readEnvFile } from '../core/processes/env-file.js';
import { processIdentity } from '../core/processes/process-info.js';
import { DEFAULT_READY_TIMEOUT_MS, type Probe, tryParseProbe } from '../core/ready/parse.js';
import { checkProbe } from '../core/ready/probes.js';
import { resolveCommand } from '../core/processes/resolve-command.js';
import { DEFAULT_MIN_UPTIME_MS } from '../core/lifecycle/start.js';
import { isValidSignal, terminateTree } from '../core/processes/terminate.js';
import { StartError, describeSystemError } from '../errors.js';
import { LineSplitter, type Prefixer, type Stream, createPrefixer } from '../output/prefix.js';
import { writeAll } from '../stdio.js';
import { backoffDelay, givesUp, nextFailures, shouldRestart } from '../supervisor/policy.js';

export const DEFAULT_STOP_TIMEOUT_MS = 10_000;
/** The name bgrun's own lines are printed under. */
export const SYSTEM_NAME = 'bgrun';
const READY_POLL_MS = 100;
const READY_ATTEMPT_MS = 2000;
/** After an app exits, how long its pipes may still deliver what it wrote last. */
const DRAIN_MS = 200;

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
}

interface AppRun {
  app: ConfigApp;
  command: string[];
  cwd: string;
  env: Record<string, string>;
  probe: Probe | null;
  child: ChildProcess | null;
  identity: string | null;
  /** Settles once the current run has ended and its output is printed. */
  ended: Promise<void> | null;
  startedAt: number;
  failures: number;
  restarts: number;
  logMatched: boolean;
  retry: NodeJS.Timeout | null;
  /** No run now and none to come (its policy said no restart). */
  finished: boolean;
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
  const envFiles = (app.envFiles ?? []).map((f) => path.resolve(f));
  for (const file of envFiles) readEnvFile(file);
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
    probe,
    child: null,
    identity: null,
    ended: null,
    startedAt: 0,
    failures: 0,
    restarts: 0,
    logMatched: false,
    retry: null,
    finished: false,
  };
}

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

  constructor(options: ForegroundOptions) {
    this.order = startOrder(options.apps, undefined, options.label);
    this.runs = new Map(this.order.map((app) => [app.name, prepare(app, options.env)]));
    this.prefixer = createPrefixer([...this.order.map((a) => a.name), SYSTEM_NAME], options.color);
    this.write = options.write ?? ((text) => writeAll(1, text));
    this.stopTimeoutMs = options.stopTimeoutMs ?? DEFAULT_STOP_TIMEOUT_MS;
  }

  async run(): Promise<number> {
    this.listen();
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
      for (const [signal, listener] of this.listeners) process.off(signal, listener);
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
        for (const run of this.runs.values()) if (run.child?.pid) send(-run.child.pid, signal);
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
        send(-run.child.pid, 'SIGKILL');
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
    const prefix = this.prefixer.prefix(run.app.name, stream);
    this.emit(`${prefix}${lines.join(`\n${prefix}`)}\n`);
  }

  private system(message: string): void {
    this.emit(`${this.prefixer.line(SYSTEM_NAME, message)}\n`);
  }

  // Runs --------------------------------------------------------------------

  /** Spawns the app and waits for its probe; false when it could not start or never became ready. */
  private async startApp(run: AppRun): Promise<boolean> {
    if (!(await this.spawnRun(run))) return false;
    if (!run.probe) return true;
    return this.awaitReady(run, run.probe);
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
    run.startedAt = Date.now();
    run.logMatched = false;
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
    if (this.stopping) {
      this.system(`${name} ${describeEnd(code, signal)}`);
      return;
    }
    const policy = run.app.restart ?? 'no';
    if (policy === 'no') {
      this.system(`${name} ${describeEnd(code, signal)}; stopping everything (its restart policy is no)`);
      void this.shutdown(status);
      return;
    }
    const end = { exitCode: code, signal };
    run.failures = nextFailures(run.failures, Date.now() - run.startedAt, run.app.minUptimeMs ?? DEFAULT_MIN_UPTIME_MS);
    if (!shouldRestart(policy, end)) {
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
    const delay = backoffDelay(run.failures);
    this.system(`${name} ${describeEnd(code, signal)}; restarting in ${formatMs(delay)}`);
    run.retry = setTimeout(() => {
      run.retry = null;
      if (this.stopping) return;
      run.restarts++;
      void this.spawnRun(run);
    }, delay);
  }

  /** Every app ended for good on its own (none has restart no): nothing is left to run. */
  private checkAllFinished(): void {
    if (this.starting || this.stopping) return;
    if ([...this.runs.values()].every((r) => r.finished && !r.child && !r.retry)) {
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
      // An app's own stop signal and kill timeout (config keys stopSignal / killTimeout) where it has them.
      const own = run.app as { stopSignal?: string | null; killTimeoutMs?: number | null };
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

function send(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // gone
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
