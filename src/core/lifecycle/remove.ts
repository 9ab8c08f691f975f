import fs from 'node:fs';
import type { Context } from '../context.js';
import type { ProcessRecord } from '../records/record.js';
import { deleteRecordEnv } from '../records/record-env.js';
import { deleteRecord, withLock } from '../records/registry.js';
import { type StopOptions, type StopResult, stopRecord } from './stop.js';

/** Stops the program if it runs and forgets it. Its logs stay where they are. */
export async function removeRecord(ctx: Context, record: ProcessRecord, options: StopOptions = {}): Promise<StopResult> {
  const result = await stopRecord(ctx, record, options);
  await withLock(ctx.paths, () => {
    deleteRecord(ctx.paths, record.name);
    deleteRecordEnv(ctx.paths, record.name);
    fs.rmSync(record.pidFile, { force: true });
  });
  return result;
}
