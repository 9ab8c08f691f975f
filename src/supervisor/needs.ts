import { logLimits } from '../core/logs/limits.js';
import { isSameProcessAlive } from '../core/processes/process-info.js';
import type { ProcessRecord } from '../core/records/record.js';

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
      r.restart !== 'no' &&
      r.desired === 'running' &&
      (r.status === 'running' || r.status === 'starting' || Boolean(r.nextStartAt) || waitsForEvents(r)),
  ) || records.some(plainLogsNeedKeeping);
}

/** A plain program whose logs the supervisor keeps (log-keeper.ts): running, with a log limit or times. */
export function plainLogsNeedKeeping(r: ProcessRecord): boolean {
  return (
    r.restart === 'no' &&
    r.desired === 'running' &&
    r.status === 'running' &&
    r.pid !== null &&
    (logLimits(r) !== null || r.logTime === true) &&
    isSameProcessAlive(r.pid, r.identity)
  );
}

/** A watch or a schedule starts it again even after it ended: someone must keep watching. */
function waitsForEvents(r: ProcessRecord): boolean {
  return (r.watch?.length ?? 0) > 0 || Boolean(r.cronRestart);
}
