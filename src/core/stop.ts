import type { Context } from './context.js';
import type { ProcessRecord } from './record.js';
import { readRecord, withLock, writeRecord } from './registry.js';
import { observe } from './status.js';
import { terminateTree } from './terminate.js';

export interface StopOptions {
  signal?: NodeJS.Signals;
  timeoutMs?: number;
}

export interface StopResult {
  name: string;
  /** The pid that was stopped, or null when it was not running. */
  pid: number | null;
  wasRunning: boolean;
  escalated: boolean;
}

/**
 * Stops one program and its whole tree. The desired state is written first, so
 * a supervisor never restarts what the user is stopping.
 */
export async function stopRecord(ctx: Context, record: ProcessRecord, options: StopOptions = {}): Promise<StopResult> {
  const marked = await withLock(ctx.paths, () => {
    const current = readRecord(ctx.paths, record.name) ?? record;
    const next = { ...current, desired: 'stopped' as const };
    writeRecord(ctx.paths, next);
    return next;
  });
  const seen = observe(marked).record;
  let result: StopResult = { name: record.name, pid: null, wasRunning: false, escalated: false };
  if (seen.status === 'running' && seen.pid !== null && seen.identity !== null) {
    const outcome = await terminateTree(seen.pid, seen.identity, options);
    result = { name: record.name, pid: seen.pid, wasRunning: outcome.wasRunning, escalated: outcome.escalated };
  }
  await withLock(ctx.paths, () => {
    const current = readRecord(ctx.paths, record.name);
    if (current?.desired !== 'stopped') return; // restarted meanwhile: not ours to touch
    const ended = result.wasRunning || current.status === 'running' || current.status === 'starting';
    writeRecord(ctx.paths, {
      ...current,
      status: 'stopped',
      pid: null,
      identity: null,
      endedAt: ended ? new Date().toISOString() : current.endedAt,
      signal: result.wasRunning ? (result.escalated ? 'SIGKILL' : (options.signal ?? 'SIGTERM')) : current.signal,
    });
  });
  return result;
}

export async function stopRecords(ctx: Context, records: ProcessRecord[], options: StopOptions = {}): Promise<StopResult[]> {
  return Promise.all(records.map((r) => stopRecord(ctx, r, options)));
}
