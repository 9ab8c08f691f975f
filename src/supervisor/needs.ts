import { logLimits } from '../core/logs/limits.js';
import { isSameProcessAlive } from '../core/processes/process-info.js';
import type { ProcessRecord } from '../core/records/record.js';
import { isSupervised, startsOnEvents } from '../core/records/supervised.js';

/**
 * A supervised program needs watching while it should run and has not been
 * given up on: running, being started, or waiting out a backoff. One that
 * ended and whose policy said "no restart" (on-failure after exit 0) does not,
 * unless a watch or a cron schedule may start it again.
 * A running plain program with a log limit or times needs its log keeper.
 */
export function needsSupervisor(records: ProcessRecord[]): boolean {
  return records.some(
    (r) =>
      isSupervised(r) &&
      r.desired === 'running' &&
      (r.status === 'running' || r.status === 'starting' || Boolean(r.nextStartAt) || startsOnEvents(r)),
  ) || records.some(plainLogsNeedKeeping);
}

/** A plain program whose logs the supervisor keeps (log-keeper.ts): running, with a log limit or times. */
export function plainLogsNeedKeeping(r: ProcessRecord): boolean {
  return (
    !isSupervised(r) &&
    r.desired === 'running' &&
    r.status === 'running' &&
    r.pid !== null &&
    (logLimits(r) !== null || r.logTime === true) &&
    isSameProcessAlive(r.pid, r.identity)
  );
}

