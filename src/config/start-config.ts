/**
 * Starting the apps of a config: in dependency order, each once what it
 * depends on is ready; an app already running is left alone (so running
 * `bgrun start` twice starts nothing twice).
 */
import path from 'node:path';
import type { Context } from '../core/context.js';
import type { LaunchResult } from '../core/lifecycle/launch.js';
import { awaitRunningReady, DEFAULT_READY_TIMEOUT_MS } from '../core/ready/wait.js';
import type { ProcessRecord, RecordOrigin } from '../core/records/record.js';
import { readRecord, readRecords } from '../core/records/registry.js';
import { startApp } from '../core/lifecycle/start.js';
import { observe } from '../core/lifecycle/status.js';
import { checkNameOwner } from '../core/records/origin.js';
import { AlreadyRunningError, BgrunError, NotReadyError, TargetNotFoundError } from '../errors.js';
import type { LoadedConfig } from './load-config.js';
import { afterDependencies, startOrder } from './order.js';
import { specHash } from './spec-hash.js';
import { StartTogether } from './start-together.js';
import { type AppStartOptions, type ConfigApp, libraryAppOptions } from './validate-config.js';

export interface AppOutcome {
  name: string;
  /** started: launched now; running: was already running; exited: ran and exited 0 within the grace period. */
  action: 'started' | 'running' | 'exited';
  record: ProcessRecord;
  /** The probe that passed, when it had one and it was checked. */
  ready: string | null;
  /** An app with copies (`instances`): every copy's record, `record` being the first. */
  copies?: ProcessRecord[];
  /** exited: the pid its run had, when it was seen (LaunchResult.endedPid). */
  endedPid?: number | null;
}

export interface StartConfigOptions {
  /** Only these apps (and what they depend on); default: all. */
  only?: string[];
  /** Overrides each app's grace period (`--wait`). */
  waitMs?: number;
  /** Called as each app is done, so the CLI prints as it goes. */
  onApp?: (outcome: AppOutcome) => void;
  /** Told when work on each app begins (with its probe, if it has one) and ends: the CLI's progress line. */
  progress?: { begin(name: string, detail?: string): void; end(name: string): void };
}

function runningRecord(ctx: Context, name: string): ProcessRecord | null {
  const existing = readRecord(ctx.paths, name);
  if (!existing) return null;
  const seen = observe(existing).record;
  return seen.status === 'running' ? seen : null;
}

function outcome(name: string, result: LaunchResult, ready: string | null): AppOutcome {
  return { name, action: result.exitedCleanly ? 'exited' : 'started', record: result.record, ready, endedPid: result.endedPid };
}

/** Puts the app's name into a message that does not have it, and what was left out. */
function explain(error: unknown, app: ConfigApp, notStarted: string[]): unknown {
  if (!(error instanceof BgrunError)) return error;
  if (!error.message.includes(`'${app.name}'`)) error.message = `cannot start '${app.name}': ${error.message}`;
  if (notStarted.length > 0) error.message += `; not started: ${notStarted.join(', ')}`;
  return error;
}

/** One app: left alone when running (its probe awaited when something depends on it), else started. */
async function startOne(ctx: Context, together: StartTogether, config: LoadedConfig, app: ConfigApp, needed: boolean, waitMs: number | undefined): Promise<AppOutcome> {
  const origin: RecordOrigin = { kind: 'config', file: config.file, cwd: process.cwd() };
  const cwd = path.resolve(app.cwd ?? process.cwd());
  app = { ...app, specHash: specHash(app) };
  if (app.instances !== undefined && !app.cluster) return startCopies(ctx, { ...app, origin }, app.instances, needed, waitMs);
  checkNameOwner(readRecord(ctx.paths, app.name), { name: app.name, script: app.script, args: app.args, cwd, origin });
  const running = runningRecord(ctx, app.name);
  if (running) {
    const timeoutMs = app.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const record = needed ? await awaitRunningReady(ctx, running, app.ready ?? null, timeoutMs) : running;
    return { name: app.name, action: 'running', record, ready: needed ? (app.ready ?? null) : null };
  }
  try {
    const options = { ...app, origin, waitMs: waitMs ?? app.waitMs };
    // Apps started in the same turn are written and launched together (start-together.ts).
    const result = app.cluster ? await (await import('../core/fleet/cluster.js')).startCluster(ctx, options) : await together.start(options);
    return outcome(app.name, result, app.ready ?? null);
  } catch (error) {
    // Started by another bgrun in the meantime: that is as good.
    if (!(error instanceof AlreadyRunningError)) throw error;
    const record = runningRecord(ctx, app.name);
    if (!record) throw error;
    return { name: app.name, action: 'running', record, ready: null };
  }
}

/** An app with copies: the missing or stopped ones are started, running ones left alone. */
async function startCopies(ctx: Context, app: ConfigApp, count: number, needed: boolean, waitMs: number | undefined): Promise<AppOutcome> {
  const { copiesOf, isLive, startInstances } = await import('../core/fleet/instances.js');
  const live = copiesOf(readRecords(ctx.paths).records, app.name).filter((r) => isLive(r) && (r.instance ?? 0) < count);
  if (live.length === count) {
    const timeoutMs = app.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS;
    const records = needed ? await Promise.all(live.map((r) => awaitRunningReady(ctx, r, app.ready ?? null, timeoutMs))) : live;
    return { name: app.name, action: 'running', record: records[0]!, copies: records, ready: needed ? (app.ready ?? null) : null };
  }
  const results = await startInstances(ctx, { ...app, instances: count, waitMs: waitMs ?? app.waitMs }, { keepRunning: true });
  const copies = copiesOf(readRecords(ctx.paths).records, app.name).filter((r) => (r.instance ?? 0) < count);
  const started = new Map(results.map((r) => [r.record.name, r.record]));
  const records = copies.map((r) => started.get(r.name) ?? r);
  return { name: app.name, action: 'started', record: records[0]!, copies: records, ready: app.ready ?? null };
}

type Settled = { app: ConfigApp; outcome: AppOutcome } | { app: ConfigApp; error: unknown } | { app: ConfigApp; skipped: true };

/**
 * Starts the config's apps (or `only` those and their dependencies): each as
 * soon as what it depends on is ready, so apps that depend on nothing start side
 * by side. Outcomes are reported in dependency order. A failure holds back what
 * depends on it (directly or not); the others start and keep running, and the
 * first failure is thrown once everything has settled.
 */
export async function startConfigApps(ctx: Context, config: LoadedConfig, options: StartConfigOptions = {}): Promise<AppOutcome[]> {
  const order = startOrder(config.apps, options.only, config.label);
  // Apps something depends on must be ready before it starts, even when they were already running.
  const needed = new Set(order.flatMap((app) => app.dependsOn));
  const settled: (Settled | undefined)[] = new Array(order.length);
  let reported = 0;
  const report = () => {
    for (; reported < order.length && settled[reported]; reported++) {
      const done = settled[reported]!;
      if ('outcome' in done) options.onApp?.(done.outcome);
    }
  };
  const index = new Map(order.map((app, i) => [app.name, i]));
  const together = new StartTogether(ctx);
  const up = afterDependencies<boolean>(new Map(order.map((app) => [app.name, app.dependsOn])), async (name, deps) => {
    const i = index.get(name)!;
    const app = order[i]!;
    try {
      options.progress?.begin(name, app.ready ? `waiting for ${app.ready}` : undefined);
      if (!deps.every(Boolean)) {
        settled[i] = { app, skipped: true };
        return false;
      }
      settled[i] = { app, outcome: await startOne(ctx, together, config, app, needed.has(app.name), options.waitMs) };
      return true;
    } catch (error) {
      settled[i] = { app, error };
      return false;
    } finally {
      options.progress?.end(name);
      report();
    }
  });
  await Promise.all(up.values());
  const all = settled as Settled[];
  const failures = all.filter((d): d is Extract<Settled, { error: unknown }> => 'error' in d);
  if (failures.length > 0) {
    const first = failures[0]!;
    const held = all.filter((d) => 'skipped' in d).map((d) => d.app.name);
    const error = explain(first.error, first.app, held);
    if (error instanceof BgrunError && failures.length > 1) {
      error.message += `; could not start either: ${failures
        .slice(1)
        .map((f) => f.app.name)
        .join(', ')}`;
    }
    throw error;
  }
  return all.map((d) => (d as Extract<Settled, { outcome: AppOutcome }>).outcome);
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
