/**
 * The shape of `bgrun.config.{json,js,mjs,cjs}` and of the library's `start()`.
 *
 *   // bgrun.config.mjs
 *   import { defineConfig } from 'bgrun';
 *   export default defineConfig({
 *     apps: [
 *       { name: 'db', script: 'db.js', ready: 'tcp:5432' },
 *       { name: 'web', script: 'server.js', args: ['--port', '3000'], dependsOn: ['db'], ready: 'http://127.0.0.1:3000/health' },
 *     ],
 *   });
 *
 * Keys shared with pm2's ecosystem file mean the same thing there (apps, name,
 * script, args, cwd, env, interpreter), so a simple `ecosystem.config.js` works
 * unchanged; the others are the camelCase of `bgrun start`'s options.
 */

import type { RestartPolicy } from '../core/records/record.js';

/** A duration: milliseconds, or a string such as "500ms", "10s", "2m". */
export type Duration = number | string;
/** A size: bytes, or a string such as "300M", "1G". */
export type Size = number | string;
/** How copies run: pm2's spellings are accepted too. */
export type ExecMode = 'fork' | 'fork_mode' | 'cluster' | 'cluster_mode';

export interface AppConfig {
  /** What it is managed by (`bgrun stop web`); default: the script's base name. */
  name?: string;
  /** A script (relative to cwd) or a command found on PATH (a console script of the project's .venv too); required unless `module` is given. */
  script?: string;
  /** A Python module to run as `python -m <module>` with the project's environment, instead of a script. */
  module?: string;
  /** Its arguments; a string is split at spaces (quotes group), as pm2 does. */
  args?: string | string[];
  /** Working folder; relative to the config file's folder, which is the default. */
  cwd?: string;
  /** Variables set for it; they win over env files and the inherited environment. */
  env?: Record<string, string | number | boolean>;
  /** .env files read at every (re)start; relative to cwd. */
  envFile?: string | string[];
  /** Run the script with this command (e.g. "python3", "node --inspect"); "none" runs the script itself, by its shebang (it must be executable). Default for .py: the project's .venv, else python3. */
  interpreter?: string | null;
  /** Supervise and restart it: "no" (default), "on-failure" or "always". */
  restart?: RestartPolicy;
  /** Give up after this many quick crashes in a row. */
  maxRestarts?: number;
  /** A run this long resets the backoff and the crash count. */
  minUptime?: Duration;
  /** Restart it gracefully when its memory stays above this. */
  maxMemory?: Size;
  /** Rotate each log past this size (e.g. "10M"; 0: never; default 10M supervised, never plain). */
  maxLogSize?: Size;
  /** Rotated copies kept per log (default 5). */
  maxLogFiles?: number;
  /** Gzip rotated copies (x.log.1.gz). */
  compressLogs?: boolean;
  /** stdout's log file, relative to cwd (default: the state folder). pm2: out_file. */
  outLog?: string;
  /** stderr's log file, relative to cwd. pm2: error_file. */
  errLog?: string;
  /** Both streams into this one file, relative to cwd; not with outLog or errLog. pm2: log_file. */
  log?: string;
  /** These log files may be shared with other apps that say so too. */
  sharedLog?: boolean;
  /** Record when each line is written (`bgrun logs -t`, `--since`). pm2: time, log_date_format. */
  logTime?: boolean;
  /** Watch for a crash this long before returning (default 500ms). */
  wait?: Duration;
  /** Readiness probe: "tcp:3000", "http://127.0.0.1:3000/health", "log:/listening/", "delay:2s". */
  ready?: string;
  /** How long to wait for `ready` (default 30s). */
  readyTimeout?: Duration;
  /** Names of apps that must be started and ready before this one. */
  dependsOn?: string[];

  // pm2 keys, so an ecosystem file type-checks too.
  /** pm2: true means restart "always", false "no"; absent, bgrun's default "no" applies (not pm2's). */
  autorestart?: boolean;
  /** Options for the interpreter, right after it (`--interpreter-args`): ["--max-old-space-size=4096"]. */
  interpreterArgs?: string | string[];
  /** pm2 spellings of interpreterArgs. */
  node_args?: string | string[];
  interpreter_args?: string | string[];
  /** pm2 spelling of interpreter. */
  exec_interpreter?: string;
  /** pm2's shortcut for env.PORT. */
  port?: number | string;
  /** pm2 spelling of maxRestarts. */
  max_restarts?: number;
  /** pm2 spelling of minUptime. */
  min_uptime?: Duration;
  /** pm2 spelling of maxMemory. */
  max_memory_restart?: Size;
  /** Copies named <name>.0 … <name>.<N-1>: a count, "max" or 0 (one per CPU), -1 (one less than the CPUs). */
  instances?: number | string;
  /** "cluster": the copies of a Node program share its port (Node's cluster module, one small primary); "fork" (default): copies of their own. */
  execMode?: ExecMode;
  /** pm2 spelling of execMode. */
  exec_mode?: ExecMode;
  /** Raise this numeric variable by the copy index in each copy ("PORT"). pm2: increment_var. */
  incrementVar?: string;
  increment_var?: string;
  /** The variable holding the copy index besides BGRUN_INSTANCE (default NODE_APP_INSTANCE). pm2: instance_var. */
  instanceVar?: string;
  instance_var?: string;
  /** Copies share one out and one err log named after the app. pm2: merge_logs (combine_logs). */
  mergeLogs?: boolean;
  merge_logs?: boolean;
  combine_logs?: boolean;
  /** A group for `list` and for targets written @<ns> (`bgrun stop @api`). */
  namespace?: string;
  /** Restart on changes: true for the app's folder, or paths relative to it (README, Supervision). */
  watch?: boolean | string | string[];
  /** Globs never watched (pm2: ignore_watch). */
  watchIgnore?: string | string[];
  ignore_watch?: string | string[];
  /** Settle time before the one restart (pm2: watch_delay). */
  watchDelay?: Duration;
  watch_delay?: Duration;
  /** Follow symbolic links in watched folders (pm2: watch_options.followSymlinks). */
  watchFollowSymlinks?: boolean;
  watch_options?: { followSymlinks?: boolean };
  /** Restart on a cron schedule, or start it when it is not running (pm2: cron_restart). */
  cronRestart?: string;
  cron_restart?: string;
  /** Exit codes that mean done: never restarted (pm2: stop_exit_codes). */
  stopExitCodes?: number | number[] | string;
  stop_exit_codes?: number | number[] | string;
  /** Every stop of it sends SIGKILL after this long (pm2: kill_timeout). */
  killTimeout?: Duration;
  kill_timeout?: Duration;
  /** The signal of a graceful stop ("SIGINT"). */
  stopSignal?: string;
  /** A fixed delay before each automatic restart (pm2: restart_delay). */
  restartDelay?: Duration;
  restart_delay?: Duration;
  /** The first step of the doubling restart backoff (pm2: exp_backoff_restart_delay). */
  expBackoffRestartDelay?: Duration;
  exp_backoff_restart_delay?: Duration;
  /** Health check that restarts it: "tcp:3000", "http://127.0.0.1:3000/health", "log:/alive/", "cmd:./check.sh". */
  health?: string;
  healthInterval?: Duration;
  healthTimeout?: Duration;
  healthRetries?: number;
  /** Shell command run after every exit no stop asked for, with BGRUN_NAME, BGRUN_EVENT… */
  onExit?: string;
  /** pm2 environments: `bgrun start --env <name>` (and `apply --env <name>`) merges env_<name> over env, as `pm2 start --env <name>` does; without --env, env alone. */
  [environment: `env_${string}`]: Record<string, string | number | boolean> | undefined;
}

export interface BgrunConfig {
  apps: AppConfig[];
  /** pm2's deploy section: ignored. */
  deploy?: unknown;
}

/** Identity function that gives a config file types and completion. */
export function defineConfig(config: BgrunConfig): BgrunConfig {
  return config;
}
