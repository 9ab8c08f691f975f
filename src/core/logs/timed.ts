import fs from 'node:fs';
import { readLogFile, refuseLinkedLog } from './read.js';
import { lineTime, logSeries } from './since.js';
import { MTIME_SLACK_MS, type TimeIndex, readTimeIndex, timeAt, timesPath } from './times.js';

/**
 * Lines of a log with the time each was written, from its time index
 * (core/logs/times.ts): `logs -t`, `logs --since` for programs that print no
 * times, and the time order of `logs all`.
 */

export interface TimedLine {
  text: string;
  /** ms since the epoch: when the line was written, at the latest. */
  time: number;
}

export interface TimedRead {
  lines: TimedLine[];
  /** One message per problem met (an index damaged, or none at all), for the user. */
  notes: string[];
}

/** The index of a log or copy: x.log.1.gz has x.log.1.times. */
function indexOf(file: string): TimeIndex | null {
  return readTimeIndex(file.endsWith('.gz') ? file.slice(0, -3) : file);
}

function mtimeOf(file: string): number {
  try {
    return fs.lstatSync(file).mtimeMs + MTIME_SLACK_MS;
  } catch {
    return Date.now();
  }
}

/** Where the times of a file come from. */
export type TimeSource = 'index' | 'stamps' | 'mtime';

interface FileLines {
  lines: TimedLine[];
  problem: string | null;
  /** Its index is a symbolic link, not read. */
  linked: boolean;
  indexed: boolean;
}

/**
 * Every line of one file with its time: the index entry at or after the line's end,
 * else (no index, or past its last entry) the file's modification time; with
 * `stamps`, a line's own leading time wins when the file has no index.
 */
function timedFile(file: string, stamps: boolean): FileLines {
  const data = readLogFile(file);
  const index = indexOf(file);
  const mtime = mtimeOf(file);
  const lines: TimedLine[] = [];
  let start = 0;
  let carried: number | null = null;
  while (start < data.length) {
    let nl = data.indexOf(10, start);
    const last = nl < 0;
    if (last) nl = data.length;
    const text = data.toString('utf8', start, nl);
    const end = last ? nl : nl + 1;
    let time = timeAt(index, end, mtime);
    if (!index && stamps) {
      // A line without a time of its own belongs to the stamped line before it.
      const own = lineTime(text);
      if (own !== null) carried = own;
      if (carried !== null) time = carried;
    }
    lines.push({ text, time });
    start = end;
  }
  return { lines, problem: index?.problem ?? null, linked: index?.linked === true, indexed: index !== null };
}

/** Every line of a log and its rotated copies, oldest first, with their times. */
function timedSeries(file: string, stamps: boolean, keep: (path: string) => boolean): { parts: FileLines[]; files: string[] } {
  const files = logSeries(file).filter(keep);
  return { parts: files.map((f) => timedFile(f, stamps)), files };
}

function notesFor(file: string, parts: FileLines[], files: string[]): string[] {
  const notes: string[] = [];
  for (const [i, part] of parts.entries()) {
    const log = files[i]!;
    if (part.linked) {
      notes.push(
        `the time index ${timesPath(log.endsWith('.gz') ? log.slice(0, -3) : log)} is a symbolic link, which bgrun does not follow; its log's lines show the file's last change (an upper bound); remove the link`,
      );
    } else if (part.problem) notes.push(`the time index of ${log} is damaged (${part.problem}); its later lines show coarser times (upper bounds)`);
  }
  // An empty log needs no index: no line is shown, so no time is missing.
  if (parts.some((p) => p.lines.length > 0) && !parts.some((p) => p.indexed)) {
    notes.push(`${file} has no time index (start the program with --log-time); each line shows the last change of its file, an upper bound`);
  }
  return notes;
}

/** The last `count` lines (across rotated copies when the log holds fewer) with their times. */
export function timedTail(file: string, count: number, stamps = false): TimedRead {
  refuseLinkedLog(file);
  if (count <= 0) return { lines: [], notes: [] };
  const series = logSeries(file);
  const parts: FileLines[] = [];
  const used: string[] = [];
  let total = 0;
  // Newest file first, only as far back as needed.
  for (let i = series.length - 1; i >= 0 && total < count; i--) {
    const part = timedFile(series[i]!, stamps);
    parts.unshift(part);
    used.unshift(series[i]!);
    total += part.lines.length;
  }
  const lines = parts.flatMap((p) => p.lines);
  return { lines: lines.slice(Math.max(0, lines.length - count)), notes: notesFor(file, parts, used) };
}

/**
 * The lines written since `since` (ms since the epoch). A file last changed
 * before `since` holds no such line (its modification time bounds them all),
 * so it is not read at all.
 */
export function timedSince(file: string, since: number, stamps = false): TimedRead {
  refuseLinkedLog(file);
  const { parts, files } = timedSeries(file, stamps, (f) => mtimeOf(f) >= since);
  return { lines: parts.flatMap((p) => p.lines).filter((l) => l.time >= since), notes: notesFor(file, parts, files) };
}

/** ISO 8601 in UTC, to the millisecond: what `logs -t` puts before each line. */
export function formatTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** Sorts lines of several sources by time, keeping each source's own order (a stable sort). */
export function byTime<T extends { time: number }>(lines: T[]): T[] {
  return lines
    .map((line, i) => ({ line, i }))
    .sort((a, b) => a.line.time - b.line.time || a.i - b.i)
    .map(({ line }) => line);
}
