import type { RestartPolicy } from '../core/records/record.js';

/** The restart rules of supervised mode, as pure functions (the README's table is this file). */

export const BACKOFF_BASE_MS = 100;
export const BACKOFF_MAX_MS = 30_000;
/** on-failure gives up after this many quick crashes in a row; always never gives up. */
export const DEFAULT_MAX_RESTARTS_ON_FAILURE = 10;

export interface RunEnd {
  /** null when unknown (the program was adopted, not our child). */
  exitCode: number | null;
  signal: string | null;
}

/** A run failed unless it exited with code 0; an unknown ending counts as a failure. */
export function isFailure(end: RunEnd): boolean {
  return end.signal !== null || end.exitCode !== 0;
}

/** An exit with one of `--stop-exit-codes` means done: never restarted, whatever the policy. */
export function isStopExit(end: RunEnd, stopExitCodes: readonly number[] | undefined): boolean {
  return end.signal === null && end.exitCode !== null && (stopExitCodes ?? []).includes(end.exitCode);
}

export function shouldRestart(policy: RestartPolicy, end: RunEnd, stopExitCodes?: readonly number[]): boolean {
  if (isStopExit(end, stopExitCodes)) return false;
  if (policy === 'always') return true;
  if (policy === 'on-failure') return isFailure(end);
  return false;
}

/** Consecutive quick exits: a run that stayed up for minUptime resets the count. */
export function nextFailures(previous: number, uptimeMs: number, minUptimeMs: number): number {
  return uptimeMs >= minUptimeMs ? 0 : previous + 1;
}

/** 100 ms, 200 ms, 400 ms… capped at 30 s; after a long run, 100 ms again. `base` is the first step. */
export function backoffDelay(failures: number, base = BACKOFF_BASE_MS): number {
  return Math.min(Math.max(BACKOFF_MAX_MS, base), base * 2 ** Math.max(0, failures - 1));
}

/**
 * The wait before an automatic restart: the doubling backoff from
 * `--exp-backoff-restart-delay` (pm2's exp_backoff_restart_delay) when given, else a fixed
 * `--restart-delay` (pm2's restart_delay) when given, else the default backoff. As in
 * pm2, the backoff wins when both are given.
 */
export function restartDelay(failures: number, settings: { restartDelayMs?: number; expBackoffRestartDelayMs?: number }): number {
  if (settings.expBackoffRestartDelayMs !== undefined) return backoffDelay(failures, settings.expBackoffRestartDelayMs);
  if (settings.restartDelayMs !== undefined) return settings.restartDelayMs;
  return backoffDelay(failures);
}

export function effectiveMaxRestarts(policy: RestartPolicy, maxRestarts: number | null): number {
  if (maxRestarts !== null) return maxRestarts;
  return policy === 'on-failure' ? DEFAULT_MAX_RESTARTS_ON_FAILURE : Number.POSITIVE_INFINITY;
}

/** The crash loop is over the limit: status becomes errored and restarts stop. */
export function givesUp(policy: RestartPolicy, maxRestarts: number | null, failures: number): boolean {
  return failures > effectiveMaxRestarts(policy, maxRestarts);
}
