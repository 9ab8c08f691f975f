import fs from 'node:fs';
import { LogError, describeSystemError } from '../../errors.js';
import type { Context } from '../context.js';
import type { ProcessRecord } from '../records/record.js';
import { allRotatedFiles, withLogLock } from './rotate.js';
import { resetTimeIndex } from './times.js';

export interface FlushOptions {
  /** Which streams; both by default. */
  out?: boolean;
  err?: boolean;
  /** Keep the rotated copies (x.log.1 …) instead of removing them. */
  keepRotated?: boolean;
}

export interface FlushResult {
  name: string;
  /** The logs emptied, with the bytes each held. */
  emptied: { file: string; bytes: number }[];
  /** Rotated copies removed, with their total size. */
  removed: string[];
  removedBytes: number;
}

/**
 * Empties a program's logs in place. The log is truncated, never replaced: a
 * running program keeps writing through its O_APPEND descriptor, its next
 * line landing at the start of the emptied file. Under the log lock, so it
 * never interleaves with a rotation.
 */
export async function flushLogs(ctx: Context, record: ProcessRecord, options: FlushOptions = {}): Promise<FlushResult> {
  const both = !options.out && !options.err;
  const files = [...new Set([...(both || options.out ? [record.outLog] : []), ...(both || options.err ? [record.errLog] : [])])];
  return withLogLock(ctx.paths, () => {
    const result: FlushResult = { name: record.name, emptied: [], removed: [], removedBytes: 0 };
    for (const file of files) {
      let fd: number;
      try {
        fd = fs.openSync(file, fs.constants.O_WRONLY | (fs.constants.O_NOFOLLOW ?? 0));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new LogError(`cannot flush ${file} of '${record.name}': ${describeSystemError(error)}`, error);
        }
        fd = -1;
      }
      if (fd >= 0) {
        try {
          const bytes = fs.fstatSync(fd).size;
          fs.ftruncateSync(fd, 0);
          resetTimeIndex(file);
          result.emptied.push({ file, bytes });
        } catch (error) {
          throw new LogError(`cannot flush ${file} of '${record.name}': ${describeSystemError(error)}`, error);
        } finally {
          fs.closeSync(fd);
        }
      }
      if (options.keepRotated) continue;
      for (const copy of allRotatedFiles(file)) {
        try {
          const bytes = fs.lstatSync(copy).size;
          fs.unlinkSync(copy);
          result.removed.push(copy);
          result.removedBytes += bytes;
        } catch (error) {
          throw new LogError(`cannot remove ${copy} of '${record.name}': ${describeSystemError(error)}`, error);
        }
      }
    }
    return result;
  });
}
