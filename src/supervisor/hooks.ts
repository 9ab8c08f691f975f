/**
 * `--on-exit <command>`: run through `sh -c` after every exit that no `bgrun
 * stop`/`restart` asked for, with BGRUN_* variables saying what happened. The
 * hook runs beside supervision, never in its way: it is not awaited, it is
 * killed (its whole group) after 30 s, its output goes to supervisor.log, and
 * a program that crashes in a loop has at most one hook running and one
 * waiting (the newest event) at a time. The 30 s limit is a timer of the
 * supervisor: a hook never outlives it (shutdown).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { composeEnv } from '../core/processes/env-file.js';
import { groupSignaller } from '../core/processes/identity.js';
import type { StatePaths } from '../core/paths.js';
import type { ProcessRecord } from '../core/records/record.js';
import { readRecordEnv } from '../core/records/record-env.js';
import { HOOK_TIMEOUT_MS } from '../core/supervision.js';

/** Why the program ended: `errored` when bgrun gave up on it. */
export type HookEvent = 'exited' | 'crashed' | 'errored' | 'unhealthy' | 'memory';

export interface HookCall {
  record: ProcessRecord;
  event: HookEvent;
  exitCode: number | null;
  signal: string | null;
}

/** Output of one hook kept for supervisor.log: enough for an error message, not a flood. */
const MAX_OUTPUT_BYTES = 8 * 1024;
/** At the supervisor's exit: from SIGTERM to SIGKILL of a hook still running. */
const SHUTDOWN_GRACE_MS = 2000;
/** After that SIGKILL: how long its output pipes may stay open (held by a process that left its group). */
const SHUTDOWN_CLOSE_MS = 1000;

interface RunningHook {
  child: ChildProcess;
  event: HookEvent;
  killGroup: (signal: NodeJS.Signals) => boolean;
  /** Settles once the hook ended and its output was logged. */
  ended: Promise<void>;
}

/** Whether the promise settled within ms. */
function settlesWithin(promise: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<boolean>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  return Promise.race([promise.then(() => true), late]).finally(() => clearTimeout(timer));
}

/** The variables a hook gets, on top of the program's own environment. */
export function hookVariables(call: HookCall): Record<string, string> {
  return {
    BGRUN_NAME: call.record.name,
    BGRUN_EVENT: call.event,
    BGRUN_EXIT_CODE: call.exitCode === null ? '' : String(call.exitCode),
    BGRUN_SIGNAL: call.signal ?? '',
    BGRUN_RESTARTS: String(call.record.restarts),
    BGRUN_ERR_LOG: call.record.errLog,
    BGRUN_OUT_LOG: call.record.outLog,
  };
}

export class ExitHooks {
  private readonly running = new Map<string, RunningHook>();
  private readonly waiting = new Map<string, HookCall>();
  private stopping = false;

  constructor(
    private readonly paths: StatePaths,
    private readonly log: (line: string) => void,
    /** A hook that cannot run at all is shown by `show` (null clears it). */
    private readonly report: (name: string, problem: string | null) => void,
  ) {}

  fire(call: HookCall): void {
    const command = call.record.onExit;
    if (!command || this.stopping) return;
    const name = call.record.name;
    if (this.running.has(name)) {
      if (this.waiting.has(name)) this.log(`hook of ${name}: dropped the waiting ${this.waiting.get(name)!.event} event for the newer ${call.event}`);
      this.waiting.set(name, call);
      return;
    }
    this.run(call, command);
  }

  private run(call: HookCall, command: string): void {
    const name = call.record.name;
    let env: Record<string, string>;
    try {
      env = composeEnv({ ...call.record, env: readRecordEnv(this.paths, name) });
    } catch {
      // Its recorded environment is lost: the supervisor's own still runs the alert.
      env = Object.fromEntries(Object.entries(process.env).filter((e): e is [string, string] => e[1] !== undefined));
    }
    delete env.BGRUN_SUPERVISOR;
    const cwd = fs.existsSync(call.record.cwd) ? call.record.cwd : this.paths.home;
    let child: ChildProcess;
    try {
      child = spawn('/bin/sh', ['-c', command], {
        cwd,
        env: { ...env, ...hookVariables(call) },
        detached: true,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    } catch (error) {
      this.fail(name, `cannot run --on-exit: ${(error as Error).message}`);
      return;
    }
    const killGroup = groupSignaller(child);
    let markEnded!: () => void;
    const ended = new Promise<void>((resolve) => {
      markEnded = resolve;
    });
    this.running.set(name, { child, event: call.event, killGroup, ended });
    this.log(`hook of ${name} (${call.event}) started (pid ${child.pid})`);
    let output = '';
    const collect = (chunk: Buffer) => {
      if (output.length < MAX_OUTPUT_BYTES) output += chunk.toString('utf8');
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);
    const timer = setTimeout(() => {
      this.log(`hook of ${name} (${call.event}) still running after ${HOOK_TIMEOUT_MS / 1000} s; killing it`);
      killGroup('SIGKILL');
    }, HOOK_TIMEOUT_MS);
    timer.unref();
    const finish = (code: number | null, signal: string | null, error?: Error) => {
      clearTimeout(timer);
      if (this.running.get(name)?.child !== child) return;
      this.running.delete(name);
      markEnded();
      for (const line of output.slice(0, MAX_OUTPUT_BYTES).split('\n').filter((l) => l.trim() !== '')) this.log(`hook of ${name}: ${line}`);
      if (this.stopping) {
        // Ended by the shutdown, not by a fault of the hook: logged, not shown by `show` as the program's problem.
        const how = error ? `could not run: ${error.message}` : signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.log(`hook of ${name} (${call.event}) ${how}`);
        return;
      }
      if (error) this.fail(name, `--on-exit could not run: ${error.message}`);
      else if (code === 0) {
        this.log(`hook of ${name} (${call.event}) done`);
        this.report(name, null);
      } else {
        // 126/127: sh could not run (not executable / not found): worth showing, as later breakage.
        const how = signal ? `was killed by ${signal}` : `exited with code ${code}`;
        this.fail(name, `--on-exit ${how} (${call.event})${code === 126 || code === 127 ? ': the command cannot run' : ''}`);
      }
      const next = this.waiting.get(name);
      if (next) {
        this.waiting.delete(name);
        if (next.record.onExit) this.run(next, next.record.onExit);
      }
    };
    child.once('error', (error) => finish(null, null, error));
    child.once('close', (code, signal) => finish(code, signal));
  }

  private fail(name: string, problem: string): void {
    this.log(`hook of ${name}: ${problem}`);
    this.report(name, problem);
  }

  /** A hook running or waiting keeps an idle supervisor up, so its output and outcome are logged. */
  get busy(): boolean {
    return this.running.size > 0 || this.waiting.size > 0;
  }

  /**
   * The supervisor is exiting (an upgrade, a signal). Its 30 s timer dies with it, and left
   * running a hung hook would have no limit at all: each hook still running gets SIGTERM
   * (its whole group), SIGKILL after SHUTDOWN_GRACE_MS. Resolves once they ended and their
   * output is logged, a few seconds at most. Waiting events are dropped, and said so.
   */
  async shutdown(): Promise<void> {
    this.stopping = true;
    for (const [name, call] of this.waiting) this.log(`hook of ${name}: dropped the waiting ${call.event} event, the supervisor exits`);
    this.waiting.clear();
    await Promise.all([...this.running].map(([name, hook]) => this.stop(name, hook)));
  }

  private async stop(name: string, hook: RunningHook): Promise<void> {
    this.log(`hook of ${name} (${hook.event}) still running as the supervisor exits; stopping it (SIGTERM, SIGKILL after ${SHUTDOWN_GRACE_MS / 1000} s)`);
    hook.killGroup('SIGTERM');
    if (await settlesWithin(hook.ended, SHUTDOWN_GRACE_MS)) return;
    hook.killGroup('SIGKILL');
    if (await settlesWithin(hook.ended, SHUTDOWN_CLOSE_MS)) return;
    // Its group is gone, but a process it started elsewhere holds its output pipes: not waited for.
    hook.child.stdout?.destroy();
    hook.child.stderr?.destroy();
    hook.child.unref();
  }
}
