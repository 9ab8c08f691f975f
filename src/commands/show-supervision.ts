import type { ProcessRecord } from '../core/records/record.js';

const ms = (value: number) => (value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`);

/** The supervisor's settings of a record (issue 13) as `show` prints them; only the ones set. */
export async function supervisionDetails(record: ProcessRecord): Promise<{ json: Record<string, unknown>; rows: [string, string][] }> {
  const json: Record<string, unknown> = {};
  const rows: [string, string][] = [];
  if (record.watch?.length) {
    json.watch = record.watch;
    json.watchIgnore = record.watchIgnore ?? [];
    json.watchDelayMs = record.watchDelayMs ?? 500;
    json.watchFollowSymlinks = record.watchFollowSymlinks ?? false;
    const ignore = record.watchIgnore?.length ? `, ignoring ${record.watchIgnore.join(', ')}` : '';
    rows.push(['watch', `${record.watch.join(', ')}${ignore} (settles ${ms(record.watchDelayMs ?? 500)}${record.watchFollowSymlinks ? ', follows symlinks' : ''})`]);
  }
  if (record.cronRestart) {
    let next: string | null = null;
    try {
      const { nextCronRun } = await import('../core/supervision.js');
      next = nextCronRun(record.cronRestart)?.toISOString() ?? null;
    } catch {
      next = null;
    }
    json.cronRestart = record.cronRestart;
    json.nextCronRestart = next;
    rows.push(['cron restart', `${record.cronRestart}${record.desired === 'running' ? ` (next ${next ?? 'never'})` : ' (stopped: not scheduled)'}`]);
  }
  if (record.stopExitCodes?.length) {
    json.stopExitCodes = record.stopExitCodes;
    rows.push(['stop exit codes', record.stopExitCodes.join(', ')]);
  }
  if (record.killTimeoutMs !== undefined || record.stopSignal !== undefined) {
    json.killTimeoutMs = record.killTimeoutMs ?? 10_000;
    json.stopSignal = record.stopSignal ?? 'SIGTERM';
    rows.push(['stop', `${record.stopSignal ?? 'SIGTERM'}, then SIGKILL after ${ms(record.killTimeoutMs ?? 10_000)}`]);
  }
  if (record.restartDelayMs !== undefined || record.expBackoffRestartDelayMs !== undefined) {
    json.restartDelayMs = record.restartDelayMs ?? null;
    json.expBackoffRestartDelayMs = record.expBackoffRestartDelayMs ?? null;
    rows.push([
      'restart delay',
      record.expBackoffRestartDelayMs !== undefined ? `from ${ms(record.expBackoffRestartDelayMs)}, doubling up to 30s` : `${ms(record.restartDelayMs!)} before each restart`,
    ]);
  }
  if (record.health) {
    const interval = record.healthIntervalMs ?? 10_000;
    const timeout = record.healthTimeoutMs ?? 5_000;
    const retries = record.healthRetries ?? 3;
    json.health = record.health;
    json.healthIntervalMs = interval;
    json.healthTimeoutMs = timeout;
    json.healthRetries = retries;
    json.healthError = record.healthError ?? null;
    const state = record.status !== 'running' ? '' : record.unhealthy ? ` (failing: ${record.healthError ?? 'unknown'})` : ' (passing)';
    rows.push(['health', `${record.health} every ${ms(interval)}, timeout ${ms(timeout)}, restart after ${retries} failures${state}`]);
  }
  if (record.onExit) {
    json.onExit = record.onExit;
    rows.push(['on exit', record.onExit]);
  }
  if (record.supervisionError) {
    json.supervisionError = record.supervisionError;
    rows.push(['supervision error', record.supervisionError]);
  }
  return { json, rows };
}
