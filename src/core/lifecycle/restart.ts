import { StartError } from '../../errors.js';
import type { Context } from '../context.js';
import { DEFAULT_WAIT_MS, type LaunchResult, launchAny } from './launch.js';
import { processIdentity } from '../processes/process-info.js';
import type { ProcessRecord } from '../records/record.js';
import { isSupervised } from '../records/supervised.js';
import { writeRecordEnv } from '../records/record-env.js';
import { readRecord, withLock, writeRecord } from '../records/registry.js';
import { type StopOptions, stopRecord } from './stop.js';

export interface RestartOptions extends StopOptions {
  waitMs?: number;
  /** Take the caller's environment afresh instead of the recorded one. */
  updateEnv?: Record<string, string> | null;
}

/**
 * Stops the program if it runs, then starts it again from its record: same
 * name, command, cwd and environment (env files read again), logs appended.
 */
export async function restartRecord(ctx: Context, record: ProcessRecord, options: RestartOptions = {}): Promise<LaunchResult> {
  await stopRecord(ctx, record, options);
  const marked = await withLock(ctx.paths, () => {
    const current = readRecord(ctx.paths, record.name);
    if (!current) throw new StartError('SPAWN_FAILED', `'${record.name}' was removed while restarting`);
    const next: ProcessRecord = {
      ...current,
      desired: 'running',
      status: 'starting',
      pid: null,
      identity: null,
      restarts: current.restarts + 1,
      createdAt: new Date().toISOString(),
      failures: 0,
      nextStartAt: null,
      startError: null,
      // Supervised programs are launched by the supervisor, not by this process.
      launcher: !isSupervised(current) ? { pid: process.pid, identity: processIdentity(process.pid) } : null,
    };
    if (options.updateEnv) writeRecordEnv(ctx.paths, next.name, options.updateEnv);
    writeRecord(ctx.paths, next);
    return next;
  });
  return launchAny(ctx, marked, options.waitMs ?? DEFAULT_WAIT_MS);
}
