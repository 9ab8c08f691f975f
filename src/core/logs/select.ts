import fs from 'node:fs';
import type { ProcessRecord } from '../records/record.js';
import { refuseLinkedLog } from './read.js';
import { readSince, readTailAcross } from './since.js';
import { timedSince } from './timed.js';
import { timesPath } from './times.js';

/** How many lines `logs` prints when neither --lines nor --since is given. */
export const DEFAULT_LINES = 15;

/** What `logs --lines/--since` (and the library's `logs()`) ask for. */
export interface LineSelection {
  /** --lines: the last N lines; with `since` a cap, and none when not given. */
  lines?: number;
  /** --since, in ms since the epoch. */
  since?: number | null;
}

/**
 * The one --lines/--since rule, over lines already in order: the last `lines`
 * (default 15); with `since`, every line since then, fewer only when `lines` was
 * given. Callers that read several logs apply it to their merged lines.
 */
export function capLines<T>(lines: T[], selection: LineSelection): T[] {
  const count = selection.lines ?? (selection.since == null ? DEFAULT_LINES : undefined);
  // Not slice(-count): slice(-0) would be every line.
  return count === undefined ? lines : lines.slice(Math.max(0, lines.length - count));
}

export interface SelectedLines {
  lines: string[];
  /** What the user should know about how the lines were chosen (no time to select by). */
  notes: string[];
}

/**
 * The lines of one log (rotated copies included) that a selection asks for, as
 * the program wrote them. `indexed`: the log has bgrun's time index
 * (--log-time), so `since` goes by it rather than by the program's own stamps.
 * `end`: read the tail as of that size (where a follow then starts).
 */
export function selectLines(file: string, selection: LineSelection & { indexed?: boolean; end?: number }): SelectedLines {
  refuseLinkedLog(file);
  const { since } = selection;
  if (since == null) return { lines: readTailAcross(file, selection.lines ?? DEFAULT_LINES, selection.end), notes: [] };
  if (selection.indexed) {
    const found = timedSince(file, since);
    return {
      lines: capLines(found.lines, selection).map((line) => line.text),
      // A log of a --log-time program whose index is not written yet: no need to say so without -t.
      notes: found.notes.filter((n) => !NO_INDEX.test(n)),
    };
  }
  const found = readSince(file, since);
  const notes =
    !found.stamped && readTailAcross(file, 1).length > 0
      ? [
          `no line of ${file} starts with a time, so --since cannot select any; start the program with --log-time for bgrun to record when each line is written, or have it print ISO 8601 times (2026-11-24T03:00:00Z) at the start of its lines`,
        ]
      : [];
  return { lines: capLines(found.lines, selection), notes };
}

/** Whether a log has times of its own (--log-time): its index, or its copies'. */
export function timeIndexed(record: Pick<ProcessRecord, 'logTime'>, file: string): boolean {
  return record.logTime === true || fs.existsSync(timesPath(file));
}

/** The note of timed.ts about a log without a time index. */
export const NO_INDEX = /has no time index/;
