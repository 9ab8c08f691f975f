import fs from 'node:fs';
import path from 'node:path';
import { AlreadyRunningError, StartError, UsageError, describeSystemError } from '../../errors.js';
import { type SupervisionSettings, resolveSupervision, supervisionGiven } from '../supervision.js';
import type { Context } from '../context.js';
import { readEnvFile } from '../processes/env-file.js';
import { recordedLogLimits } from '../logs/limits.js';
import { checkLogOwners, checkLogPath, chosenLogPaths } from '../logs/log-paths.js';
import { DEFAULT_WAIT_MS, type LaunchResult, launchAny } from './launch.js';
import { nameFromModule, nameFromProgram, uniqueName, validateName } from '../records/names.js';
import { ensureState, errLogFile, outLogFile, pidFileOf } from '../paths.js';
import { processIdentity } from '../processes/process-info.js';
import { writeRecordEnv } from '../records/record-env.js';
import { type ProcessRecord, RECORD_VERSION, type RecordOrigin, type RestartPolicy } from '../records/record.js';
import { isSupervised } from '../records/supervised.js';
import { readRecord, readRecords, withLock, writeRecord } from '../records/registry.js';
import { resolveProgram } from '../processes/resolve-command.js';
import { checkNameOwner } from '../records/origin.js';
import { observe } from './status.js';

/** What `bgrun start` takes; the library's `start()` takes the same. */
export interface StartOptions extends SupervisionSettings {
  /** A script path, or with `isCommand` a command to find on PATH. */
  script: string;
  args?: string[];
  isCommand?: boolean;
  name?: string;
  cwd?: string;
  /** Extra variables (--env); they win over env files and the inherited environment. */
  env?: Record<string, string>;
  envFiles?: string[];
  interpreter?: string | null;
  /** Options for the interpreter, right after it (pm2's node_args / interpreter_args): `--interpreter-args`. */
  interpreterArgs?: string[];
  /** The name as a pm2 file wrote it, when that is not a valid name (`name` is then the safe one derived from it). */
  displayName?: string;
  /** pm2's defaults this app got because its pm2 file left them out ("autorestart: true", …), for `show`. */
  pm2Defaults?: string[];
  /** `-m`: run this Python module (`script` is then ignored); the name defaults to its last part. */
  module?: string | null;
  /** Grace period in ms during which a program that dies is reported as a failed start. */
  waitMs?: number;
  restart?: RestartPolicy;
  maxRestarts?: number | null;
  minUptimeMs?: number;
  maxMemoryBytes?: number | null;
  /** Readiness probe (src/core/ready/): start returns once it passes. */
  ready?: string | null;
  /** How long to wait for `ready` (default 30 s). */
  readyTimeoutMs?: number | null;
  /** Rotate each log past this size (`--max-log-size`); null: never. Default: 10 MiB supervised, never plain. */
  maxLogBytes?: number | null;
  /** Rotated copies kept per log (`--max-log-files`, default 5). */
  maxLogFiles?: number;
  /** Log files of the user's choosing (`--out-log`, `--err-log`; relative to cwd); default: the state folder's. */
  outLog?: string;
  errLog?: string;
  /** `--log`: both streams into this one file (relative to cwd); not with outLog or errLog. */
  log?: string;
  /** `--log-time`: the supervisor keeps a time index of each log, for `logs -t` and `--since`. */
  logTime?: boolean;
  /** `--compress-logs`: rotated copies are gzipped (x.log.1.gz). */
  compressLogs?: boolean;
  /** `--shared-log`: the log paths may be shared with other programs that say so too. */
  sharedLog?: boolean;
  /** Recorded for `resurrect`'s order; waiting for them is the caller's (config start, library `start`). */
  dependsOn?: string[];
  /** Where it comes from; default: the command line in the current folder. */
  origin?: RecordOrigin;
  /** Copies to run (`--instances`, already a count): records `<name>.0` … `<name>.<N-1>` (core/fleet/instances.ts). */
  instances?: number;
  /** pm2 `instance_var`: the variable holding the copy's index (default NODE_APP_INSTANCE). */
  instanceVar?: string | null;
  /** pm2 `increment_var`: a numeric variable raised by the copy's index (e.g. PORT). */
  incrementVar?: string | null;
  /** pm2 `merge_logs`: the copies share one out and one err log. */
  mergeLogs?: boolean;
  /** pm2 `namespace`: a group that `@<namespace>` addresses. */
  namespace?: string | null;
  /** Node cluster mode (pm2 `exec_mode: "cluster"`): the copies share the app's listening port. */
  cluster?: boolean;
  /** The env_<profile> merged into `env` (for `show`). */
  envProfile?: string | null;
  /** A config app's spec hash (config/spec-hash.ts), for `apply`. */
  specHash?: string;
}

export const DEFAULT_MIN_UPTIME_MS = 10_000;

function checkCwd(cwd: string): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(cwd);
  } catch (error) {
    throw new StartError('CWD_NOT_FOUND', `working folder ${cwd} is unusable: ${describeSystemError(error)}`, { cause: error });
  }
  if (!st.isDirectory()) throw new StartError('CWD_NOT_FOUND', `working folder ${cwd} is not a folder`);
}

/** The inherited environment as plain strings (process.env may hold undefined). */
function plainEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined) out[k] = v;
  return out;
}

function isSameProgram(record: ProcessRecord, command: string[], cwd: string): boolean {
  return record.cwd === cwd && record.command.length === command.length && record.command.every((c, i) => c === command[i]);
}

/** The program's path (or command) as it was resolved, for messages. */
function describeProgram(record: ProcessRecord): string {
  const program = record.command[record.command.length - record.args.length - 1] ?? record.script;
  return `${program} in ${record.cwd}`;
}

/**
 * `bgrun start broken.js` again after a fix: the record of the same command in the
 * same folder that is not running (the one named after the program first, else
 * the newest), so the list does not fill with broken-2, broken-3…
 */
function rerunCandidate(records: ProcessRecord[], base: string, command: string[], cwd: string): ProcessRecord | null {
  const idle = records.filter((r) => {
    if (!isSameProgram(r, command, cwd)) return false;
    const status = observe(r).record.status;
    return status !== 'running' && status !== 'starting';
  });
  idle.sort((a, b) => Number(b.name === base) - Number(a.name === base) || b.createdAt.localeCompare(a.createdAt));
  return idle[0] ?? null;
}

/** What a start checked before writing anything: the resolved folder, env files and command. */
export interface PreparedStart {
  cwd: string;
  envFiles: string[];
  args: string[];
  command: string[];
  python: ReturnType<typeof resolveProgram>['python'];
  /** What the record calls the script (the module with -m). */
  script: string;
  /** The restart policy: on-failure when a supervision setting implies it. */
  restart: RestartPolicy;
  /** Watch, health, hooks… as records keep them (watch paths absolute). */
  supervision: SupervisionSettings;
}

/**
 * Settings `stop` honours for any program: with an explicit --restart no they need no supervisor.
 * The core keeps its own list (it knows nothing of the option table); a test keeps it in step
 * with the options marked `plainToo`.
 */
export const PLAIN_TOO: ReadonlySet<keyof SupervisionSettings> = new Set<keyof SupervisionSettings>(['killTimeoutMs', 'stopSignal']);

/** The supervision settings given (watch, health, hooks…): each implies supervision. */
function supervisionOf(options: StartOptions): SupervisionSettings {
  const { watch, watchIgnore, watchDelayMs, watchFollowSymlinks, cronRestart, stopExitCodes, killTimeoutMs, stopSignal, restartDelayMs, expBackoffRestartDelayMs, health, healthIntervalMs, healthTimeoutMs, healthRetries, onExit } = options;
  const all: SupervisionSettings = { watch, watchIgnore, watchDelayMs, watchFollowSymlinks, cronRestart, stopExitCodes, killTimeoutMs, stopSignal, restartDelayMs, expBackoffRestartDelayMs, health, healthIntervalMs, healthTimeoutMs, healthRetries, onExit };
  for (const key of Object.keys(all) as (keyof SupervisionSettings)[]) if (all[key] === undefined) delete all[key];
  return all;
}

/** Every check that needs no lock: a refused start leaves nothing behind. */
export function prepareStart(ctx: Context, options: StartOptions): PreparedStart {
  const cwd = path.resolve(options.cwd ?? process.cwd());
  checkCwd(cwd);
  // Every relative path of a start is resolved against its working folder, as the script is.
  const envFiles = (options.envFiles ?? []).map((f) => path.resolve(cwd, f));
  for (const file of envFiles) readEnvFile(file);
  const args = options.args ?? [];
  const { command, python } = resolveProgram({
    program: options.script,
    args,
    cwd,
    env: ctx.env,
    interpreter: options.interpreter ?? null,
    isCommand: options.isCommand ?? false,
    module: options.module ?? null,
    interpreterArgs: options.interpreterArgs ?? [],
  });
  if (options.name !== undefined) validateName(options.name);
  if (options.namespace) validateName(options.namespace);
  const logPaths = chosenLogPaths(options, cwd);
  for (const file of new Set([logPaths.outLog, logPaths.errLog])) if (file !== undefined) checkLogPath(file);
  const { restart, supervision } = supervisionPolicy(options, cwd, ctx.env);
  ensureState(ctx.paths);
  return { cwd, envFiles, args, command, python, script: options.module ?? options.script, restart, supervision };
}

/**
 * The supervision settings given (checked, watch paths absolute) and the restart policy:
 * the one given, else on-failure when a setting implies supervision, else no. `bgrun run`
 * decides the same way.
 */
export function supervisionPolicy(options: StartOptions, cwd: string, env: NodeJS.ProcessEnv): { restart: RestartPolicy; supervision: SupervisionSettings } {
  const supervision = supervisionOf(options);
  if (Object.keys(supervision).length === 0) return { restart: options.restart ?? 'no', supervision };
  const given = supervisionGiven(supervision);
  // A watch (`[]`: its folder) or a schedule starts it by itself: supervised with --restart no, its exits not restarted.
  // Stop settings alone (`stop` honours them for any program) keep an explicit --restart no plain.
  const needsSupervisor = Object.keys(supervision).filter((key) => !PLAIN_TOO.has(key as keyof SupervisionSettings));
  if (options.restart === 'no' && needsSupervisor.length === 0) return { restart: 'no', supervision: resolveSupervision(supervision, cwd, { ...env }) };
  // A memory limit (bgrun's own restart, as pm2's over max_memory_restart) keeps it supervised with --restart no too.
  if (options.restart === 'no' && supervision.watch === undefined && supervision.cronRestart === undefined && typeof options.maxMemoryBytes !== 'number') {
    const first = supervisionGiven(Object.fromEntries(needsSupervisor.map((key) => [key, true])) as SupervisionSettings)[0] ?? given[0];
    throw new UsageError(`${first} needs supervision: drop --restart no (${first} implies --restart on-failure)`);
  }
  return { restart: options.restart ?? 'on-failure', supervision: resolveSupervision(supervision, cwd, { ...env }) };
}

/** A new record with status `starting`, not yet written. */
export function newRecord(ctx: Context, options: StartOptions, prepared: PreparedStart, name: string, previous: ProcessRecord | null = null): ProcessRecord {
  const { python } = prepared;
  return {
    version: RECORD_VERSION,
    name,
    command: prepared.command,
    script: prepared.script,
    args: prepared.args,
    interpreter: options.interpreter ?? null,
    ...(python ? { python } : {}),
    ...(options.module ? { module: options.module } : {}),
    ...(options.displayName ? { displayName: options.displayName } : {}),
    ...(options.pm2Defaults && options.pm2Defaults.length > 0 ? { pm2Defaults: [...options.pm2Defaults] } : {}),
    cwd: prepared.cwd,
    envVars: options.env ?? {},
    envFiles: prepared.envFiles,
    restart: prepared.restart,
    maxRestarts: options.maxRestarts ?? null,
    minUptimeMs: options.minUptimeMs ?? DEFAULT_MIN_UPTIME_MS,
    maxMemoryBytes: options.maxMemoryBytes ?? null,
    ready: options.ready ?? null,
    readyTimeoutMs: options.readyTimeoutMs ?? null,
    ...recordedLogLimits(isSupervised({ restart: prepared.restart, ...prepared.supervision, maxMemoryBytes: options.maxMemoryBytes }), options.maxLogBytes, options.maxLogFiles),
    ...prepared.supervision,
    ...(options.dependsOn && options.dependsOn.length > 0 ? { dependsOn: [...options.dependsOn] } : {}),
    origin: options.origin ?? { kind: 'cli', cwd: process.cwd() },
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.envProfile ? { envProfile: options.envProfile } : {}),
    ...(options.specHash ? { specHash: options.specHash } : {}),
    ...(options.cluster ? { cluster: true } : {}),
    desired: 'running',
    status: 'starting',
    pid: null,
    identity: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    // Started again after a fix: the same record, its runs counted.
    restarts: previous ? previous.restarts + 1 : 0,
    outLog: chosenLogPaths(options, prepared.cwd).outLog ?? outLogFile(ctx.paths, name),
    errLog: chosenLogPaths(options, prepared.cwd).errLog ?? errLogFile(ctx.paths, name),
    ...(options.logTime ? { logTime: true } : {}),
    ...(options.compressLogs ? { compressLogs: true } : {}),
    ...(options.sharedLog ? { sharedLog: true } : {}),
    pidFile: pidFileOf(ctx.paths, name),
    launcher: isSupervised({ restart: prepared.restart, ...prepared.supervision, maxMemoryBytes: options.maxMemoryBytes }) ? null : { pid: process.pid, identity: processIdentity(process.pid) },
    supervisedBy: null,
    failures: 0,
    nextStartAt: null,
  };
}

/**
 * A start under a name of the user's choosing, checked under the lock: refused when a
 * program of that name runs, belongs to another config, or names an app with copies.
 * Returns the record of this same program that the start takes over, if any.
 */
export function claimName(ctx: Context, options: StartOptions, prepared: PreparedStart, name: string): ProcessRecord | null {
  const { cwd, args, command, script } = prepared;
  const existing = readRecord(ctx.paths, name);
  if (options.origin) checkNameOwner(existing, { name, script, args, cwd, origin: options.origin });
  let previous: ProcessRecord | null = null;
  if (existing) {
    const seen = observe(existing).record;
    if (seen.status === 'running' || seen.status === 'starting') throw new AlreadyRunningError(name, seen.pid ?? 0);
    if (isSameProgram(existing, command, cwd)) previous = existing;
  }
  // The name of an app with copies addresses all of them: a program of that name would hide them.
  if (readRecord(ctx.paths, `${name}.0`)?.app === name) {
    throw new StartError('NAME_TAKEN', `'${name}' is the name of an app with copies (${name}.0, …); choose another --name`);
  }
  return previous;
}

/** The inherited environment as bgrun keeps it beside a record. */
export function inheritedEnv(ctx: Context): Record<string, string> {
  return plainEnv(ctx.env);
}

/**
 * Starts a program detached and records it. Everything that can be checked is
 * checked before a record is written, so a refused start leaves nothing behind.
 * With `instances`, use core/fleet/instances.ts `startInstances` instead.
 */
export async function startApp(ctx: Context, options: StartOptions): Promise<LaunchResult> {
  const prepared = prepareStart(ctx, options);
  const { cwd, command } = prepared;
  const notes: string[] = [];
  const record = await withLock(ctx.paths, () => {
    let name: string;
    /** The record of this same program (command and folder) that this start takes over: its name, and its count of restarts. */
    let previous: ProcessRecord | null = null;
    if (options.name !== undefined) {
      name = options.name;
      previous = claimName(ctx, options, prepared, name);
    } else {
      const { records } = readRecords(ctx.paths);
      const base = options.module ? nameFromModule(options.module) : nameFromProgram(options.script);
      // Copies are started again through their app, never taken over by a single program.
      previous = rerunCandidate(
        records.filter((r) => r.app === undefined),
        base,
        command,
        cwd,
      );
      if (previous) {
        name = previous.name;
      } else {
        const taken = new Map(records.flatMap((r) => (r.app !== undefined ? [[r.name, r] as const, [r.app, r] as const] : [[r.name, r] as const])));
        name = uniqueName(base, (n) => taken.has(n));
        const other = taken.get(base);
        if (other && !isSameProgram(other, command, cwd)) {
          notes.push(`'${base}' is another program (${describeProgram(other)}), so this one is '${name}'; --name chooses a name`);
        }
      }
    }
    const fresh = newRecord(ctx, options, prepared, name, previous);
    if (options.outLog !== undefined || options.errLog !== undefined || options.log !== undefined) checkLogOwners(fresh, readRecords(ctx.paths).records);
    // Before the record: a record is never without its environment (a leftover env file alone is harmless).
    writeRecordEnv(ctx.paths, name, plainEnv(ctx.env));
    writeRecord(ctx.paths, fresh);
    return fresh;
  });
  const result = await launchAny(ctx, record, options.waitMs ?? DEFAULT_WAIT_MS);
  return notes.length > 0 ? { ...result, notes } : result;
}

/**
 * `bgrun start <name>` for a program bgrun already knows and that is not
 * running: starts it again from its record (a stopped supervised program is
 * supervised again).
 */
export async function startExisting(ctx: Context, name: string, waitMs = DEFAULT_WAIT_MS): Promise<LaunchResult> {
  const record = await withLock(ctx.paths, () => {
    const existing = readRecord(ctx.paths, name);
    if (!existing) throw new StartError('SCRIPT_NOT_FOUND', `no program named '${name}'`);
    const seen = observe(existing).record;
    if (seen.status === 'running' || seen.status === 'starting') throw new AlreadyRunningError(name, seen.pid ?? 0);
    const next: ProcessRecord = {
      ...existing,
      desired: 'running',
      status: 'starting',
      pid: null,
      identity: null,
      createdAt: new Date().toISOString(),
      failures: 0,
      nextStartAt: null,
      startError: null,
      launcher: !isSupervised(existing) ? { pid: process.pid, identity: processIdentity(process.pid) } : null,
    };
    writeRecord(ctx.paths, next);
    return next;
  });
  return launchAny(ctx, record, waitMs);
}
