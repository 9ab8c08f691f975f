import type { ProcessRecord } from '../core/records/record.js';

/**
 * A supervised program needs watching while it should run and has not been
 * given up on: running, being started, or waiting out a backoff. One that
 * ended and whose policy said "no restart" (on-failure after exit 0) does not.
 */
export function needsSupervisor(records: ProcessRecord[]): boolean {
  return records.some(
    (r) =>
      r.restart !== 'no' &&
      r.desired === 'running' &&
      (r.status === 'running' || r.status === 'starting' || Boolean(r.nextStartAt)),
  );
}
