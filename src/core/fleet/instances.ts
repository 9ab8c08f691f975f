/**
 * Many copies of one app (`--instances`, pm2's `instances`): one record per
 * copy, named `<app>.<index>`, each spawned, supervised, stopped and logged as
 * any program. What makes them one app is the `app` field they share: the app
 * name addresses all of them (core/targets.ts), `<app>.<index>` one.
 */
import { AlreadyRunningError, StartError, UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import { composeEnv } from '../processes/env-file.js';
import { withInstanceEnv } from './instance-env.js';
export { parseInstances } from './instance-env.js';
import { DEFAULT_WAIT_MS, type LaunchResult, launchMany } from '../lifecycle/launch.js';
import { nameFromProgram, uniqueName, validateName } from '../records/names.js';
import { type StatePaths, errLogFile, outLogFile, pidFileOf } from '../paths.js';
import { processIdentity } from '../processes/process-info.js';
import type { ProcessRecord } from '../records/record.js';
import { isSupervised } from '../records/supervised.js';
import { deleteRecordEnv, readRecordEnv, writeRecordEnvs } from '../records/record-env.js';
import { deleteRecord, readRecords, withLock, writeRecords } from '../records/registry.js';
import { type PreparedStart, type StartOptions, inheritedEnv, newRecord, prepareStart } from '../lifecycle/start.js';
import { copyLogPath } from '../logs/log-paths.js';
import { observe } from '../lifecycle/status.js';

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function instanceName(app: string, index: number): string {
  return `${app}.${index}`;
}

/** The copies of an app, by index. */
export function copiesOf(records: ProcessRecord[], app: string): ProcessRecord[] {
  return records.filter((r) => r.app === app).sort((a, b) => (a.instance ?? 0) - (b.instance ?? 0));
}

export function isLive(record: ProcessRecord): boolean {
  const seen = observe(record).record;
  return seen.status === 'running' || seen.status === 'starting';
}

/** A variable name given to --instance-var or --increment-var. */
export function checkVarName(name: string, what: string): string {
  if (!ENV_KEY.test(name)) throw new UsageError(`invalid ${what} '${name}': use a variable name of letters, digits and '_'`);
  return name;
}

/** A new copy `index` of an app, from any record of it (or a template): same spec, fresh state. */
export function freshCopy(paths: StatePaths, base: ProcessRecord, app: string, index: number, count: number): ProcessRecord {
  const name = instanceName(app, index);
  const logName = base.mergeLogs ? app : name;
  return {
    ...base,
    name,
    app,
    instance: index,
    instances: count,
    desired: 'running',
    status: 'starting',
    pid: null,
    identity: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    restarts: 0,
    failures: 0,
    nextStartAt: null,
    readyAt: null,
    startError: null,
    // The user's own log file (--out-log): each copy its own, out-0.log …, unless merged. A default
    // log is the template's (named after the app) or, when scaling, the copy's the spec came from.
    outLog: [outLogFile(paths, app), outLogFile(paths, base.name)].includes(base.outLog)
      ? outLogFile(paths, logName)
      : base.mergeLogs
        ? base.outLog
        : copyLogPath(base.outLog, index),
    errLog: [errLogFile(paths, app), errLogFile(paths, base.name)].includes(base.errLog)
      ? errLogFile(paths, logName)
      : base.mergeLogs
        ? base.errLog
        : copyLogPath(base.errLog, index),
    pidFile: pidFileOf(paths, name),
    launcher: !isSupervised(base) ? { pid: process.pid, identity: processIdentity(process.pid) } : null,
    supervisedBy: null,
  };
}

/** A name of another program where a copy of `app` must go: refused, before anything is written. */
function checkNames(records: ProcessRecord[], app: string, count: number): void {
  validateName(instanceName(app, count - 1));
  const byName = new Map(records.map((r) => [r.name, r]));
  const single = byName.get(app);
  if (single && single.app === undefined) {
    if (isLive(single)) throw new AlreadyRunningError(app, observe(single).record.pid ?? 0);
    throw new StartError('NAME_TAKEN', `'${app}' is the name of a program bgrun knows; remove it with 'bgrun rm ${app}' or choose another name`);
  }
  for (let i = 0; i < count; i++) {
    const taken = byName.get(instanceName(app, i));
    if (taken && taken.app !== app) {
      throw new StartError(
        'NAME_TAKEN',
        `copy ${i} of '${app}' would be named '${taken.name}', which is another program's name; choose another name for the app`,
      );
    }
  }
}

/** Launches copies side by side (launchMany: in batches); every copy gets its chance, the first failure is thrown once all settled. */
export async function launchCopies(ctx: Context, records: ProcessRecord[], waitMs: number): Promise<LaunchResult[]> {
  const settled = await launchMany(ctx, records, waitMs);
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) throw failed.reason;
  return settled.map((s) => (s as PromiseFulfilledResult<LaunchResult>).value);
}

export interface StartInstancesOptions {
  /** Copies already running are kept (a config start, scale); otherwise a running copy refuses the start. */
  keepRunning?: boolean;
}

/** The checks of a start of copies (startApp's, then the count and the copy variables), nothing written. */
export function prepareInstances(ctx: Context, options: StartOptions & { instances: number }): PreparedStart {
  const count = options.instances;
  if (!Number.isInteger(count) || count < 1) throw new UsageError(`invalid --instances '${count}': use a whole number of at least 1`);
  const prepared = prepareStart(ctx, options);
  if (options.instanceVar) checkVarName(options.instanceVar, '--instance-var');
  if (options.incrementVar) {
    const inc = checkVarName(options.incrementVar, '--increment-var');
    const env = composeEnv({ env: inheritedEnv(ctx), envFiles: prepared.envFiles, envVars: options.env ?? {} });
    // Never print the value: it may be a secret.
    if (env[inc] === undefined || !/^\d+$/.test(env[inc].trim())) {
      throw new UsageError(
        `--increment-var ${inc}: ${inc} is ${env[inc] === undefined ? 'not set' : 'not a whole number'} for this program; set it, e.g. --env ${inc}=3000`,
      );
    }
  }
  return prepared;
}

/**
 * `bgrun start -i N`: checks as `startApp` does, then writes N records under
 * one lock (names checked against every other program first) and launches
 * them side by side.
 */
export async function startInstances(
  ctx: Context,
  options: StartOptions & { instances: number },
  how: StartInstancesOptions = {},
): Promise<LaunchResult[]> {
  const count = options.instances;
  const prepared = prepareInstances(ctx, options);
  const records = await withLock(ctx.paths, async () => {
    const { records: all } = readRecords(ctx.paths);
    let app: string;
    if (options.name !== undefined) {
      app = options.name;
    } else {
      const taken = new Set(all.flatMap((r) => (r.app !== undefined ? [r.name, r.app] : [r.name])));
      app = uniqueName(nameFromProgram(options.script), (n) => taken.has(n));
    }
    checkNames(all, app, count);
    const existing = copiesOf(all, app);
    const live = existing.filter(isLive);
    if (live.length > 0 && !how.keepRunning) throw new AlreadyRunningError(app, observe(live[0]!).record.pid ?? 0);
    const template: ProcessRecord = {
      ...newRecord(ctx, options, prepared, app),
      instanceVar: options.instanceVar ?? null,
      incrementVar: options.incrementVar ?? null,
      ...(options.mergeLogs ? { mergeLogs: true } : {}),
    };
    const keep = new Set(live.map((r) => r.instance));
    // Copies that are not running are written afresh; running ones are left as they are.
    for (const old of existing) {
      if (keep.has(old.instance)) continue;
      deleteRecord(ctx.paths, old.name);
      deleteRecordEnv(ctx.paths, old.name);
    }
    const fresh: ProcessRecord[] = [];
    for (let i = 0; i < count; i++) if (!keep.has(i)) fresh.push(freshCopy(ctx.paths, template, app, i, count));
    // Every environment before any record (a record never lacks its environment), each kind in one batch of syncs.
    await writeRecordEnvs(
      ctx.paths,
      fresh.map((c) => c.name),
      inheritedEnv(ctx),
    );
    await writeRecords(ctx.paths, fresh);
    return fresh;
  });
  return launchCopies(ctx, records, options.waitMs ?? DEFAULT_WAIT_MS);
}

/** Env of an existing copy, for a new one made from it (scale). */
export function copyEnv(paths: StatePaths, from: ProcessRecord): Record<string, string> {
  return readRecordEnv(paths, from.name);
}

/** For show and tests: the variables a copy gets from its index (values only of bgrun's own). */
export function instanceVars(record: ProcessRecord): string[] {
  if (record.instance === undefined) return [];
  return Object.keys(withInstanceEnv(record, {}));
}
