/**
 * Starting the apps of a config: in dependency order, each once what it
 * depends on is ready; an app already running is left alone (so running
 * `bgrun start` twice starts nothing twice).
 */
import type { Context } from '../core/context.js';
import type { LaunchResult } from '../core/launch.js';
import { awaitRunningReady, DEFAULT_READY_TIMEOUT_MS } from '../core/ready.js';
import type { ProcessRecord } from '../core/record.js';
import { readRecord } from '../core/registry.js';
import { startApp } from '../core/start.js';
import { observe } from '../core/status.js';
import { AlreadyRunningError, BgrunError, NotReadyError, TargetNotFoundError } from '../errors.js';
import type { LoadedConfig } from './load-config.js';
import { startOrder } from './order.js';
import { type AppStartOptions, type ConfigApp, libraryAppOptions } from './validate-config.js';

export interface AppOutcome {
  name: string;
  /** started: launched now; running: was already running; exited: ran and exited 0 within the grace period. */
  action: 'started' | 'running' | 'exited';
  record: ProcessRecord;
  /** The probe that passed, when it had one and it was checked. */
  ready: string | null;
}

export interface StartConfigOptions {
  /** Only these apps (and what they depend on); default: all. */
  only?: string[];
  /** Overrides each app's grace period (`--wait`). */
  waitMs?: number;
  /** Called as each app is done, so the CLI prints as it goes. */
  onApp?: (outcome: AppOutcome) => void;
}

function runningRecord(ctx: Context, name: string): ProcessRecord | null {
  const existing = readRecord(ctx.paths, name);
  if (!existing) return null;
  const seen = observe(existing).record;
  return seen.status === 'running' ? seen : null;
}

function outcome(name: string, result: LaunchResult, ready: string | null): AppOutcome {
  return { name, action: result.exitedCleanly ? 'exited' : 'started', record: result.record, ready };
}

/** Puts the app's name into a message that does not have it, and what was left out. */
function explain(error: unknown, app: ConfigApp, notStarted: string[]): unknown {
  if (!(error instanceof BgrunError)) return error;
  if (!error.message.includes(`'${app.name}'`)) error.message = `cannot start '${app.name}': ${error.message}`;
  if (notStarted.length > 0) error.message += `; not started: ${notStarted.join(', ')}`;
  return error;
}

/**
 * Starts the config's apps (or `only` those and their dependencies) one after
 * the other in dependency order. Stops at the first failure: apps after it are
 * not started, apps before it keep running.
 */
export async function startConfigApps(ctx: Context, config: LoadedConfig, options: StartConfigOptions = {}): Promise<AppOutcome[]> {
  const order = startOrder(config.apps, options.only, config.label);
  // Apps something depends on must be ready before it starts, even when they were already running.
  const needed = new Set(order.flatMap((app) => app.dependsOn));
  const outcomes: AppOutcome[] = [];
  for (let i = 0; i < order.length; i++) {
    const app = order[i]!;
    const rest = order.slice(i + 1).map((a) => a.name);
    const timeoutMs = app.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    try {
      let done: AppOutcome;
      const running = runningRecord(ctx, app.name);
      if (running) {
        const record = needed.has(app.name) ? await awaitRunningReady(ctx, running, app.ready ?? null, timeoutMs) : running;
        done = { name: app.name, action: 'running', record, ready: needed.has(app.name) ? (app.ready ?? null) : null };
      } else {
        try {
          const result = await startApp(ctx, { ...app, waitMs: options.waitMs ?? app.waitMs });
          done = outcome(app.name, result, app.ready ?? null);
        } catch (error) {
          // Started by another bgrun in the meantime: that is as good.
          if (!(error instanceof AlreadyRunningError)) throw error;
          const record = runningRecord(ctx, app.name);
          if (!record) throw error;
          done = { name: app.name, action: 'running', record, ready: null };
        }
      }
      outcomes.push(done);
      options.onApp?.(done);
    } catch (error) {
      throw explain(error, app, rest);
    }
  }
  return outcomes;
}

/**
 * The library's `dependsOn`: the named programs must be managed and running;
 * waits until each passes its recorded probe.
 */
export async function awaitDependencies(ctx: Context, app: AppStartOptions): Promise<void> {
  const who = app.name ? `'${app.name}'` : app.script;
  for (const dep of app.dependsOn) {
    const record = readRecord(ctx.paths, dep);
    if (!record) throw new TargetNotFoundError(dep, `${who} depends on '${dep}', which bgrun does not manage; start it first`);
    const seen = observe(record).record;
    if (seen.status !== 'running') {
      throw new NotReadyError({
        appName: dep,
        reason: 'exited',
        message: `${who} depends on '${dep}', which is ${seen.status}; start it first`,
        stderrTail: [],
        errLog: seen.errLog,
      });
    }
    await awaitRunningReady(ctx, seen, seen.ready ?? null, seen.readyTimeoutMs ?? app.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
  }
}

/**
 * The library's `start(app)`: the same keys and checks as a config entry
 * (relative paths from the current folder), then its dependencies, then the start.
 */
export async function startAppConfig(ctx: Context, app: unknown): Promise<LaunchResult> {
  const options = libraryAppOptions(app);
  await awaitDependencies(ctx, options);
  return startApp(ctx, options);
}
