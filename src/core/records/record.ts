/** The shape of one managed process on disk and in `list --json`. */
import type { PythonChoice } from '../processes/python.js';
import type { SupervisionSettings } from '../supervision.js';

export type Status = 'starting' | 'running' | 'stopped' | 'exited' | 'errored';
export type RestartPolicy = 'no' | 'on-failure' | 'always';
/** Why the supervisor itself restarted a run: not a crash. */
export type PlannedRestart = 'memory' | 'unhealthy' | 'watch' | 'cron';

export const RECORD_VERSION = 1;

/**
 * Where a program came from: a config start tells its own apps from same-named
 * programs of other projects by it (and `apply` can tell what a config added or
 * removed). Absent in records written before it existed.
 */
export interface RecordOrigin {
  /** `config`: an app of a config file or Procfile; `cli`: a program given on the command line or to the library's `start()`. */
  kind: 'config' | 'cli';
  /** kind `config`: the absolute path of the config file or Procfile. */
  file?: string;
  /** The folder bgrun ran in when the record was made. */
  cwd: string;
}

/** How to run the program again: everything `restart` needs, taken at `start`. */
export interface AppSpec extends SupervisionSettings {
  name: string;
  /** Executable and arguments exactly as spawned (interpreter resolved). */
  command: string[];
  /** What the user asked to run: a script path or a command, and its arguments. */
  script: string;
  args: string[];
  interpreter: string | null;
  /** The Python that runs it and why that one (--interpreter, VIRTUAL_ENV, the project's .venv, PATH); absent for other programs and in older records. */
  python?: PythonChoice;
  /** `-m`: the Python module it runs (then `script` holds the module too). */
  module?: string;
  /** The name as a pm2 file wrote it ("My API"), when that is not a valid name; `name` is the safe one derived from it. Both address it. */
  displayName?: string;
  /** pm2's defaults it got because its pm2 file left them out ("autorestart: true", "max_restarts: 16", …); absent for bgrun's own files. */
  pm2Defaults?: string[];
  cwd: string;
  // The environment `bgrun start` ran in is kept apart from the record: core/records/record-env.ts.
  /** --env KEY=VALUE pairs; they win over env files and the inherited environment. */
  envVars: Record<string, string>;
  /** --env-file paths (absolute), read again at every (re)start. */
  envFiles: string[];
  restart: RestartPolicy;
  maxRestarts: number | null;
  minUptimeMs: number;
  maxMemoryBytes: number | null;
  /** Readiness probe (`--ready`), checked after every start and restart by bgrun; absent in older records. */
  ready?: string | null;
  /** How long a start waits for `ready` (`--ready-timeout`). */
  readyTimeoutMs?: number | null;
  /** Rotate each log when it grows past this many bytes (`--max-log-size`); null: never. Absent in older records: the default of the mode (see core/logs/limits.ts). */
  maxLogBytes?: number | null;
  /** Rotated copies kept per log (`--max-log-files`), x.log.1 the newest. */
  maxLogFiles?: number | null;
  /** Record when each log line was written (`--log-time`): the supervisor keeps a time index beside each log (core/logs/times.ts). Absent in older records. */
  logTime?: boolean;
  /** Gzip rotated copies (`--compress-logs`): x.log.1.gz. */
  compressLogs?: boolean;
  /** This program's log paths may be shared with other programs that say so too (`--shared-log`). */
  sharedLog?: boolean;
  /** Programs that must run and be ready before this one (a config's `dependsOn`): `resurrect` keeps the order. Absent in older records. */
  dependsOn?: string[];
  /** Where it came from (a config file, or the command line in a folder); absent in older records. */
  origin?: RecordOrigin;
  /** A copy of an app started with `--instances`: the app's name (the record is `<app>.<instance>`). Absent for a single program. */
  app?: string;
  /** This copy's index, 0 to instances - 1 (`BGRUN_INSTANCE`, pm2's `NODE_APP_INSTANCE`). */
  instance?: number;
  /** How many copies the app was asked for (every copy holds the same count). */
  instances?: number;
  /** The variable that carries the index besides BGRUN_INSTANCE (pm2 `instance_var`; default NODE_APP_INSTANCE). */
  instanceVar?: string | null;
  /** A numeric variable raised by the index in each copy (pm2 `increment_var`), e.g. PORT. */
  incrementVar?: string | null;
  /** The copies share one out and one err log named after the app (pm2 `merge_logs`). */
  mergeLogs?: boolean;
  /** A group name for targets (`@<namespace>`) and `list` (pm2 `namespace`). */
  namespace?: string | null;
  /** The env_<profile> of a config merged over its env (`--env <profile>`), for `show`. */
  envProfile?: string | null;
  /** Node cluster mode: this record is the app's primary (bgrun's, shipped in dist), forking `instances` workers of the program. */
  cluster?: boolean;
  /** A hash of the config entry it was started from (config/spec-hash.ts): `apply` restarts it when the entry changes. */
  specHash?: string;
}

export interface ProcessRecord extends AppSpec {
  version: number;
  /** What the user wants: the supervisor never undoes a stop. */
  desired: 'running' | 'stopped';
  status: Status;
  pid: number | null;
  /** Start-time fingerprint of `pid`; a pid is only signalled while this still matches. */
  identity: string | null;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  exitCode: number | null;
  signal: string | null;
  restarts: number;
  outLog: string;
  errLog: string;
  pidFile: string;
  /** The bgrun process launching it, so a launch interrupted by SIGKILL can be recognised. */
  launcher: { pid: number; identity: string | null } | null;
  /** Set while a supervisor is responsible for this process. */
  supervisedBy: string | null;
  /** Supervised mode: consecutive runs shorter than minUptimeMs (the crash loop so far). */
  failures?: number;
  /** Supervised mode: when the supervisor will start it again after a backoff. */
  nextStartAt?: string | null;
  /** When the probe in `ready` last passed for this run; dependents started later trust it. */
  readyAt?: string | null;
  /** Supervised mode: why the supervisor could not spawn it (the command, which spawns nothing, reports it); cleared by every start. */
  startError?: string | null;
  /** Supervised mode: the health check failed on its last run(s) (`list` shows unhealthy); cleared by a pass or a new run. */
  unhealthy?: boolean;
  /** Why the last health check failed. */
  healthError?: string | null;
  /**
   * Supervised mode: the supervisor itself ended the last run to start it again (its
   * --max-memory, health check, watch or schedule); null when the run ended by itself.
   * A start waiting out its grace period tells a planned restart from a crash by it.
   */
  restartedFor?: PlannedRestart | null;
  /** What of its supervision broke after the start (a watched folder removed, a hook that cannot run), for `show`. */
  supervisionError?: string | null;
  /** Set by a stop that found the program already ended: its status is `stopped`, and this says it had exited or errored (exitCode/signal keep how). */
  stoppedAfter?: 'exited' | 'errored' | null;
  /**
   * Processes of its tree outside its process group (they called setsid), written by a stop
   * before it signals anything and cleared when the stop is recorded: a stop killed half-way
   * leaves them known, and `list` and the next `stop` find them by pid and identity.
   */
  strays?: { pid: number; identity: string }[] | null;
  /**
   * The pid of its last run, kept when a stop or the supervisor clears `pid`, so that `show <old
   * pid>` still names the program. Never signalled: the pid may since belong to another process.
   */
  lastPid?: number | null;
}

/** The public view of a record (`list --json`, the library): no environment, it may hold secrets. */
export interface ProcessInfo {
  name: string;
  pid: number | null;
  /** Processes of its group still running after its main process ended (a program that forked and exited); absent when none. */
  leftovers?: number[];
  status: Status;
  exitCode: number | null;
  signal: string | null;
  restarts: number;
  command: string[];
  script: string;
  args: string[];
  cwd: string;
  restart: RestartPolicy;
  nextStartAt: string | null;
  /** Running, but its health check is failing (`--health`). */
  unhealthy: boolean;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  uptimeMs: number | null;
  cpu: number | null;
  memory: number | null;
  outLog: string;
  errLog: string;
  pidFile: string;
  /** `stopped` after it had already ended by itself (exitCode and signal say how); only on stopped programs. */
  stoppedAfter?: 'exited' | 'errored';
  /** Not running: the pid its last run had, when known (`show <that pid>` finds it; nothing acts on it). */
  lastPid?: number;
  /** Set for a copy of an app started with --instances. */
  app?: string;
  instance?: number;
  namespace?: string;
}

const STRING_FIELDS = ['name', 'script', 'cwd', 'createdAt', 'outLog', 'errLog', 'pidFile', 'status', 'desired'] as const;

/** Checks the fields every reader relies on; the reason names the first bad one. */
export function checkRecord(value: unknown): string | null {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return 'not a JSON object';
  const r = value as Record<string, unknown>;
  for (const key of STRING_FIELDS) if (typeof r[key] !== 'string') return `'${key}' is not a string`;
  if (!Array.isArray(r.command) || r.command.length === 0 || !r.command.every((c) => typeof c === 'string')) {
    return "'command' is not a list of strings";
  }
  if (r.pid !== null && !(Number.isInteger(r.pid) && (r.pid as number) > 0)) return "'pid' is not a positive integer";
  if (r.lastPid != null && !(Number.isInteger(r.lastPid) && (r.lastPid as number) > 0)) return "'lastPid' is not a positive integer";
  if (typeof r.restarts !== 'number') return "'restarts' is not a number";
  if (r.dependsOn !== undefined && !(Array.isArray(r.dependsOn) && r.dependsOn.every((d) => typeof d === 'string'))) {
    return "'dependsOn' is not a list of names";
  }
  return null;
}
