import type { ProcessRecord } from '../core/records/record.js';

/**
 * The supervisor's settings of a record (issue 13) for `show --json`, with their defaults
 * filled in where set; the text rows come from the option table (options/show-rows.ts).
 */
export async function supervisionDetails(record: ProcessRecord): Promise<{ json: Record<string, unknown>; rows: [string, string][] }> {
  const json: Record<string, unknown> = {};
  const rows: [string, string][] = [];
  if (record.watch?.length) {
    json.watch = record.watch;
    json.watchIgnore = record.watchIgnore ?? [];
    json.watchDelayMs = record.watchDelayMs ?? 500;
    json.watchFollowSymlinks = record.watchFollowSymlinks ?? false;
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
  }
  if (record.killTimeoutMs !== undefined || record.stopSignal !== undefined) {
    json.killTimeoutMs = record.killTimeoutMs ?? 10_000;
    json.stopSignal = record.stopSignal ?? 'SIGTERM';
  }
  if (record.health) {
    json.healthIntervalMs = record.healthIntervalMs ?? 10_000;
    json.healthTimeoutMs = record.healthTimeoutMs ?? 5_000;
    json.healthRetries = record.healthRetries ?? 3;
    json.healthError = record.healthError ?? null;
  }
  if (record.supervisionError) {
    json.supervisionError = record.supervisionError;
    rows.push(['supervision error', record.supervisionError]);
  }
  return { json, rows };
}
