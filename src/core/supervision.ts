/**
 * Settings of the supervisor beyond restart policies (issue 13): watch, cron
 * restarts, exit codes that mean done, stop and delay settings, health checks,
 * exit hooks. This file checks them before anything is written, for the
 * command line, config files and the library alike; the supervisor acts on
 * them (src/supervisor/watch.ts, cron.ts, health.ts, hooks.ts).
 *
 * Every one of them implies supervision: a program started with `--watch`
 * and no `--restart` is supervised with `--restart on-failure`.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { StartError, UsageError, describeSystemError } from '../errors.js';
import { parseDuration } from './duration.js';
import { tryParseProbe } from './ready/parse.js';
import { findOnPath } from './processes/resolve-command.js';
import { isValidSignal } from './processes/terminate.js';

export const DEFAULT_WATCH_DELAY_MS = 500;
export const DEFAULT_HEALTH_INTERVAL_MS = 10_000;
export const DEFAULT_HEALTH_TIMEOUT_MS = 5_000;
export const DEFAULT_HEALTH_RETRIES = 3;
export const DEFAULT_KILL_TIMEOUT_MS = 10_000;
export const HOOK_TIMEOUT_MS = 30_000;

/** What start takes (StartOptions) and what a record keeps (AppSpec): the same fields. */
export interface SupervisionSettings {
  /** Paths whose changes restart the program; relative ones from its cwd, '' or '.' the cwd itself. Absolute in records. */
  watch?: string[];
  /** Globs never watched, besides node_modules, .git, the state folder and the logs. */
  watchIgnore?: string[];
  /** Settle time after a change before the one restart. */
  watchDelayMs?: number;
  /** Follow symbolic links inside watched folders (pm2's watch_options.followSymlinks). */
  watchFollowSymlinks?: boolean;
  /** Cron expression (5 or 6 fields, seconds first when 6): restart, or start when not running. */
  cronRestart?: string;
  /** Exit codes that mean done: never restarted, whatever the policy. */
  stopExitCodes?: number[];
  /** Graceful stop time before SIGKILL, for every stop of this program. */
  killTimeoutMs?: number;
  /** The signal of a graceful stop (default SIGTERM). */
  stopSignal?: string;
  /** A fixed delay before each automatic restart (pm2's restart_delay). */
  restartDelayMs?: number;
  /** The first step of the doubling backoff (pm2's exp_backoff_restart_delay). */
  expBackoffRestartDelayMs?: number;
  /** Health probe: tcp:, http(s)://, log:, or cmd:<command> (exit 0 = healthy). */
  health?: string;
  healthIntervalMs?: number;
  healthTimeoutMs?: number;
  /** Failures in a row that restart the program. */
  healthRetries?: number;
  /** Shell command run (sh -c) after every exit that no stop or restart asked for. */
  onExit?: string;
}

/** Each setting and the start flag that sets it, in the order messages list them. */
export const SUPERVISION_FLAGS: Record<keyof SupervisionSettings, string> = {
  watch: '--watch',
  watchIgnore: '--watch-ignore',
  watchDelayMs: '--watch-delay',
  watchFollowSymlinks: '--watch-follow-symlinks',
  cronRestart: '--cron-restart',
  stopExitCodes: '--stop-exit-codes',
  killTimeoutMs: '--kill-timeout',
  stopSignal: '--stop-signal',
  restartDelayMs: '--restart-delay',
  expBackoffRestartDelayMs: '--exp-backoff-restart-delay',
  health: '--health',
  healthIntervalMs: '--health-interval',
  healthTimeoutMs: '--health-timeout',
  healthRetries: '--health-retries',
  onExit: '--on-exit',
};

/** The flags given that imply supervision (every one of them does). */
export function supervisionGiven(settings: SupervisionSettings): string[] {
  return (Object.keys(SUPERVISION_FLAGS) as (keyof SupervisionSettings)[])
    .filter((key) => settings[key] !== undefined)
    .map((key) => SUPERVISION_FLAGS[key]);
}

/** "0,3" → [0, 3]; codes from 0 to 255. */
export function parseExitCodes(text: string | readonly unknown[], what = '--stop-exit-codes'): number[] {
  const items = typeof text === 'string' ? text.split(',').map((s) => s.trim()) : [...text];
  const codes = items.map((item) => {
    const n = typeof item === 'number' ? item : typeof item === 'string' && /^\d{1,3}$/.test(item) ? Number(item) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > 255) {
      throw new UsageError(`invalid ${what} '${typeof text === 'string' ? text : String(item)}': use exit codes from 0 to 255 separated by commas, e.g. 0,3`);
    }
    return n;
  });
  if (codes.length === 0) throw new UsageError(`invalid ${what}: give at least one exit code, e.g. 0,3`);
  return [...new Set(codes)].sort((a, b) => a - b);
}

/** "TERM", "sigint", "SIGHUP" → "SIGTERM"… */
export function parseStopSignal(text: string, what = '--stop-signal'): string {
  const name = (/^SIG/i.test(text) ? text : `SIG${text}`).toUpperCase();
  if (!isValidSignal(name) || name === 'SIGKILL' || name === 'SIGSTOP') {
    throw new UsageError(`invalid ${what} '${text}': use a signal name such as TERM, INT, HUP or QUIT`);
  }
  return name;
}

export function parseWholeNumber(text: string, what: string, min = 0): number {
  if (!/^\d+$/.test(text.trim()) || Number(text) < min) throw new UsageError(`invalid ${what} '${text}': use a whole number${min > 0 ? ` of at least ${min}` : ''}`);
  return Number(text);
}

export function parsePositiveDuration(text: string, what: string): number {
  const ms = parseDuration(text, what);
  if (ms <= 0) throw new UsageError(`invalid ${what} '${text}': use a duration above 0, e.g. 500ms or 10s`);
  return ms;
}

const EXPECTED_HEALTH = 'expected tcp:PORT, tcp:HOST:PORT, http://HOST:PORT/PATH, log:/REGEX/ or cmd:<command>';

/** The probe of `--health`, or why it is not one: the kinds of `--ready` (but delay:) plus cmd:. */
export function checkHealthProbe(text: string): string | null {
  const trimmed = text.trim();
  if (trimmed.startsWith('cmd:')) return trimmed.slice(4).trim() === '' ? 'expected a command after cmd:, e.g. cmd:./check.sh' : null;
  if (trimmed.startsWith('delay:')) return `delay: says when a program is ready, not whether it is healthy; ${EXPECTED_HEALTH}`;
  const probe = tryParseProbe(trimmed);
  if (typeof probe === 'string') return probe.startsWith('expected tcp:PORT, tcp:HOST:PORT, http') ? `${EXPECTED_HEALTH}, got "${text}"` : probe;
  return null;
}

/** croner, loaded only when a cron expression is checked or used (never by a plain start or list). */
type CronClass = typeof import('croner').Cron;
let cronClass: CronClass | null = null;
export function loadCron(): CronClass {
  cronClass ??= (createRequire(import.meta.url)('croner') as typeof import('croner')).Cron;
  return cronClass;
}

const CRON_NICKNAMES = new Set(['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']);

/** Why `expr` is not a cron expression we take (5 or 6 fields, or @daily and the like), or null. */
export function checkCron(expr: string): string | null {
  const trimmed = expr.trim();
  const fields = trimmed.split(/\s+/).length;
  if (!CRON_NICKNAMES.has(trimmed.toLowerCase()) && fields !== 5 && fields !== 6) {
    return `expected 5 fields (minute hour day month weekday) or 6 with seconds first, got ${fields} in "${expr}"`;
  }
  try {
    const Cron = loadCron();
    const job = new Cron(trimmed, { paused: true });
    if (job.nextRun() === null) return `"${expr}" never runs again`;
    job.stop();
  } catch (error) {
    return `"${expr}": ${(error as Error).message.replace(/^CronPattern: /, '')}`;
  }
  return null;
}

/** The next time `expr` fires after `from`, or null (never). */
export function nextCronRun(expr: string, from = new Date()): Date | null {
  const Cron = loadCron();
  const job = new Cron(expr.trim(), { paused: true });
  try {
    return job.nextRun(from);
  } finally {
    job.stop();
  }
}

const SHELL_WORDS = new Set([
  '!', '{', '(', 'if', 'for', 'while', 'until', 'case', 'exec', 'command', 'eval', 'set', 'export', 'cd', 'echo', 'printf',
  'test', '[', 'true', 'false', ':', '.', 'read', 'trap', 'exit', 'umask', 'ulimit', 'wait', 'kill', 'type',
]);

/**
 * A hook is a shell command; the program it names first must exist and be
 * executable (a script without its x bit is the usual mistake). Shell syntax
 * beyond a first word (assignments, builtins, keywords) is left to the shell.
 */
export function checkHookCommand(command: string, cwd: string, env: NodeJS.ProcessEnv, what = '--on-exit'): void {
  const trimmed = command.trim();
  if (trimmed === '') throw new UsageError(`invalid ${what}: give a shell command, e.g. ${what} 'curl -fsS -d "$BGRUN_NAME $BGRUN_EVENT" https://example.com/hook'`);
  const first = /^(?:"([^"]+)"|'([^']+)'|([^\s;&|<>()]+))/.exec(trimmed);
  const word = first ? (first[1] ?? first[2] ?? first[3]!) : '';
  if (word === '' || SHELL_WORDS.has(word) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(word) || /[$`*?]/.test(word)) return;
  const file = word.includes('/') ? path.resolve(cwd, word) : word;
  if (findOnPath(file, env) !== null) return;
  if (word.includes('/')) {
    let reason = 'does not exist';
    try {
      const st = fs.statSync(file);
      reason = st.isFile() ? 'is not executable (chmod +x it, or run it with sh)' : 'is not a file';
    } catch (error) {
      reason = describeSystemError(error);
    }
    throw new StartError('SCRIPT_NOT_RUNNABLE', `${what}: ${word} ${reason}`);
  }
  throw new StartError('SCRIPT_NOT_RUNNABLE', `${what}: '${word}' is not found on PATH (give its path, or check the spelling)`);
}

/** Watch paths, absolute and existing; '' or '.' is the program's cwd. */
export function resolveWatchPaths(paths: readonly string[], cwd: string): string[] {
  const out = paths.map((p) => (p === '' || p === '.' ? cwd : path.resolve(cwd, p)));
  for (const p of out) {
    try {
      fs.statSync(p);
    } catch (error) {
      throw new StartError('CWD_NOT_FOUND', `--watch: cannot watch ${p}: ${describeSystemError(error)}`, { cause: error });
    }
  }
  return [...new Set(out)];
}

/**
 * Checks what can only be checked with the program's cwd and environment, and
 * returns the settings as records keep them (watch paths absolute).
 */
export function resolveSupervision(settings: SupervisionSettings, cwd: string, env: NodeJS.ProcessEnv): SupervisionSettings {
  const out: SupervisionSettings = { ...settings };
  for (const key of Object.keys(out) as (keyof SupervisionSettings)[]) if (out[key] === undefined) delete out[key];
  if (settings.watch !== undefined) out.watch = resolveWatchPaths(settings.watch.length === 0 ? [''] : settings.watch, cwd);
  if (settings.cronRestart !== undefined) {
    const problem = checkCron(settings.cronRestart);
    if (problem) throw new UsageError(`invalid --cron-restart: ${problem}`);
    out.cronRestart = settings.cronRestart.trim();
  }
  if (settings.health !== undefined) {
    const problem = checkHealthProbe(settings.health);
    if (problem) throw new UsageError(`invalid --health: ${problem}`, 'INVALID_PROBE');
    out.health = settings.health.trim();
    if (out.health.startsWith('cmd:')) checkHookCommand(out.health.slice(4), cwd, env, '--health cmd:');
  }
  if (settings.onExit !== undefined) checkHookCommand(settings.onExit, cwd, env);
  if (settings.stopSignal !== undefined) out.stopSignal = parseStopSignal(settings.stopSignal);
  const healthOnly = (['healthIntervalMs', 'healthTimeoutMs', 'healthRetries'] as const).find((k) => settings[k] !== undefined);
  if (healthOnly && settings.health === undefined) throw new UsageError(`${SUPERVISION_FLAGS[healthOnly]} needs --health: the probe to run`);
  const watchOnly = (['watchIgnore', 'watchDelayMs', 'watchFollowSymlinks'] as const).find((k) => settings[k] !== undefined);
  if (watchOnly && settings.watch === undefined) throw new UsageError(`${SUPERVISION_FLAGS[watchOnly]} needs --watch: what to watch`);
  return out;
}
