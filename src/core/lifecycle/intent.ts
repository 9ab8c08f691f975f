import type { ProcessRecord } from '../records/record.js';

/**
 * What `all` means for restart, save and export: which programs are meant to be
 * running. `run`: running, starting, or ended in a way that is not an end (a
 * supervised program between two runs, a plain program that died unwatched);
 * `stopped`: stopped on purpose; `finished`: ended with exit code 0 and no policy
 * that restarts that (a one-shot that did its job); `failed`: errored (died at
 * start, or its supervisor gave up).
 */
export type Intent = 'run' | 'stopped' | 'finished' | 'failed';

/** Of an observed record (core/lifecycle/status.ts observe()). */
export function intentOf(record: Pick<ProcessRecord, 'desired' | 'status' | 'exitCode' | 'signal' | 'restart'>): Intent {
  if (record.desired === 'stopped' || record.status === 'stopped') return 'stopped';
  if (record.status === 'errored') return 'failed';
  if (record.status === 'exited' && record.exitCode === 0 && record.signal === null && record.restart !== 'always') return 'finished';
  return 'run';
}
