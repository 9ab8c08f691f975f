import fs from 'node:fs';
import { UsageError } from '../../errors.js';
import type { Context } from '../context.js';
import type { ProcessRecord } from '../records/record.js';
import { isSupervised } from '../records/supervised.js';
import { readRecords } from '../records/registry.js';
import type { RotateResult } from './rotate.js';
import { parseSize } from '../size.js';

/**
 * When logs are rotated. Supervised programs run for long and get a limit by
 * default; plain programs keep nohup's semantics (the log grows) unless
 * started with --max-log-size.
 */
export const DEFAULT_SUPERVISED_MAX_LOG_BYTES = 10 * 1024 ** 2;
/** Rotated copies kept per stream (x.log.1 … x.log.5), for any program with a size limit. */
export const DEFAULT_MAX_LOG_FILES = 5;
export const MIN_LOG_BYTES = 1024;
export const MAX_LOG_FILES = 1000;

export interface LogLimits {
  maxBytes: number;
  maxFiles: number;
}

/** The limits that apply to a record; null when its logs are never rotated. Records older than rotation get the defaults of their mode. */
export function logLimits(record: Pick<ProcessRecord, 'restart' | 'maxLogBytes' | 'maxLogFiles'>): LogLimits | null {
  const maxBytes = record.maxLogBytes === undefined ? (!isSupervised(record) ? null : DEFAULT_SUPERVISED_MAX_LOG_BYTES) : record.maxLogBytes;
  if (maxBytes === null || !(maxBytes > 0)) return null;
  return { maxBytes, maxFiles: record.maxLogFiles ?? DEFAULT_MAX_LOG_FILES };
}

/** `--max-log-size`: a size such as 10M, or 0 for no limit (null). */
export function parseMaxLogSize(text: string): number | null {
  const bytes = parseSize(text, '--max-log-size');
  if (bytes === 0) return null;
  if (bytes < MIN_LOG_BYTES) throw new UsageError(`invalid --max-log-size '${text}': use at least 1K, or 0 for no limit`);
  return bytes;
}

/** `--max-log-files`: how many rotated copies to keep, 0 to keep none (the log is only emptied). */
export function parseMaxLogFiles(text: string): number {
  if (!/^\d+$/.test(text) || Number(text) > MAX_LOG_FILES) {
    throw new UsageError(`invalid --max-log-files '${text}': use a whole number from 0 to ${MAX_LOG_FILES}`);
  }
  return Number(text);
}

/** What `start` records: explicit values, so a later change of the defaults does not change a running program. */
export function recordedLogLimits(
  supervised: boolean,
  maxLogBytes: number | null | undefined,
  maxLogFiles: number | undefined,
): { maxLogBytes: number | null; maxLogFiles: number } {
  return {
    maxLogBytes: maxLogBytes === undefined ? (supervised ? DEFAULT_SUPERVISED_MAX_LOG_BYTES : null) : maxLogBytes,
    maxLogFiles: maxLogFiles ?? DEFAULT_MAX_LOG_FILES,
  };
}

type LimitedRecord = Pick<ProcessRecord, 'name' | 'restart' | 'maxLogBytes' | 'maxLogFiles' | 'outLog' | 'errLog' | 'compressLogs'>;

interface Limited {
  name: string;
  files: string[];
  limits: LogLimits;
  compress: boolean;
}

/** The logs of the records with a limit; distinct paths, so merged streams rotate once. */
function limitedLogs(records: LimitedRecord[]): Limited[] {
  const out: Limited[] = [];
  for (const record of records) {
    const limits = logLimits(record);
    if (limits) out.push({ name: record.name, files: [...new Set([record.outLog, record.errLog])], limits, compress: record.compressLogs === true });
  }
  return out;
}

/**
 * The records, for rotation only: a bad record is never moved aside here, so the
 * command that runs next still reports it; the read is shared with the other
 * checks a command makes before its own work.
 */
function peekRecords(ctx: Context): ProcessRecord[] {
  if (!fs.existsSync(ctx.paths.records)) return [];
  return readRecords(ctx.paths, { quarantine: false, reuse: true }).records;
}

function overLimit(entry: Limited): boolean {
  return entry.files.some((file) => {
    try {
      return fs.statSync(file).size > entry.limits.maxBytes;
    } catch {
      return false;
    }
  });
}

export interface RotationReport {
  rotated: RotateResult[];
  /** One message per log that could not be rotated; rotation never makes a command fail. */
  errors: string[];
}

/**
 * Rotates every log over its limit. Costs one stat per limited log when none
 * is over; the lock and the copy only when one is.
 */
export async function rotateOverLimit(ctx: Context, records?: LimitedRecord[]): Promise<RotationReport> {
  const report: RotationReport = { rotated: [], errors: [] };
  const due = limitedLogs(records ?? peekRecords(ctx)).filter(overLimit);
  if (due.length === 0) return report;
  const { rotateIfOver, withLogLock } = await import('./rotate.js');
  await withLogLock(ctx.paths, async () => {
    for (const entry of due) {
      for (const file of entry.files) {
        try {
          // Checked again under the lock: another bgrun may have rotated it meanwhile.
          const result = await rotateIfOver(file, entry.limits.maxBytes, entry.limits.maxFiles, { compress: entry.compress });
          if (result) report.rotated.push(result);
        } catch (error) {
          report.errors.push(`cannot rotate the logs of '${entry.name}': ${(error as Error).message}`);
        }
      }
    }
  });
  return report;
}
