/**
 * The supervisor's settings (src/core/supervision.ts) in a systemd unit: what
 * maps (stop signal and timeout, restart delays, exit codes that mean done),
 * and a comment for what systemd has no equivalent of (watch, cron, health
 * checks, exit hooks), saying what comes closest.
 */
import type { SupervisionSettings } from '../core/supervision.js';

/** Text for a comment: one line, whatever it holds. */
const oneLine = (text: string) => JSON.stringify(text).slice(1, -1);

export interface SupervisionUnitLines {
  /** KillSignal= value, or null for systemd's SIGTERM. */
  killSignal: string | null;
  /** The stop timeout in ms, or null for bgrun's default. */
  killTimeoutMs: number | null;
  /** RestartSec= in ms, or null for bgrun's default backoff. */
  restartSecMs: number | null;
  /** Whether the delay doubles (the RestartSteps= comment applies). */
  doubles: boolean;
  /** More [Service] lines: directives and comments. */
  lines: string[];
}

export function supervisionUnitLines(source: SupervisionSettings & { restart: string }): SupervisionUnitLines {
  const lines: string[] = [];
  const codes = source.stopExitCodes ?? [];
  if (codes.length > 0) {
    // Done is done: neither on-failure (a non-zero code counted as success) nor always restarts it.
    const nonZero = codes.filter((c) => c !== 0);
    if (nonZero.length > 0) lines.push(`SuccessExitStatus=${nonZero.join(' ')}`);
    lines.push(`RestartPreventExitStatus=${codes.join(' ')}`);
  }
  if (source.watch && source.watch.length > 0) {
    lines.push(
      `# bgrun --watch restarted it when files under ${oneLine(source.watch.join(', '))} changed; systemd has no recursive watch.`,
      '# A path unit comes closest (PathModified= of one folder, not its subfolders, starting a unit that restarts this one).',
    );
  }
  if (source.cronRestart) {
    lines.push(
      `# bgrun --cron-restart "${oneLine(source.cronRestart)}" restarted (or started) it on schedule; under systemd use a timer unit`,
      '# (OnCalendar= in systemd.time(7) syntax) starting a oneshot service that runs systemctl restart on this unit.',
    );
  }
  if (source.restart === 'no' && (source.cronRestart || source.watch?.length)) {
    lines.push('# --restart no (Restart=no): bgrun did not restart it when it exited either; only the schedule or a change started it again.');
  }
  if (source.health) {
    lines.push(
      `# bgrun --health ${oneLine(source.health)} restarted it after ${source.healthRetries ?? 3} failed checks; systemd has no such probe`,
      '# (WatchdogSec= needs the program to call sd_notify).',
    );
  }
  if (source.onExit) {
    lines.push(
      `# bgrun --on-exit ran: ${oneLine(source.onExit)}`,
      '# systemd: OnFailure= starts a unit when this one fails; ExecStopPost= runs after every stop, requested ones too',
      '# ($SERVICE_RESULT, $EXIT_CODE and $EXIT_STATUS stand in for BGRUN_EVENT, BGRUN_EXIT_CODE and BGRUN_SIGNAL).',
    );
  }
  return {
    killSignal: source.stopSignal ?? null,
    killTimeoutMs: source.killTimeoutMs ?? null,
    restartSecMs: source.expBackoffRestartDelayMs ?? source.restartDelayMs ?? null,
    doubles: source.expBackoffRestartDelayMs !== undefined || source.restartDelayMs === undefined,
    lines,
  };
}
