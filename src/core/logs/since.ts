import { UsageError } from '../../errors.js';
import { readLogFile, readRange, readTail } from './read.js';
import { rotatedFiles } from './rotate.js';

/**
 * Reading logs across rotation: the last lines, or the lines since a time.
 * bgrun adds nothing to the program's output (the kernel writes it), so times
 * come from the program's own lines: a line that starts with an ISO 8601 time,
 * optionally in brackets, carries it; a line without one (a stack trace, a
 * continued message) belongs to the stamped line before it.
 */

/**
 * `2026-11-24T03:00:00Z`, `2026-11-24 03:00:00.123+01:00`, `[2026-11-24 03:00:00,123]`, `2026-11-24T03:00`.
 * Without a zone the time is local, as `date` prints it.
 */
const STAMP = /^\[?(\d{4}-\d{2}-\d{2})[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?)\s?(Z|[+-]\d{2}(?::?\d{2})?)?(?=$|[\]\s|,;])/;

/** The time a line starts with, in ms since the epoch, or null. */
export function lineTime(line: string): number | null {
  const m = STAMP.exec(line);
  if (!m) return null;
  let time = m[2]!.replace(',', '.');
  if (/^\d{2}:\d{2}$/.test(time)) time += ':00';
  // Date.parse takes at most milliseconds.
  time = time.replace(/(\.\d{3})\d+$/, '$1');
  let zone = m[3] ?? '';
  if (/^[+-]\d{2}$/.test(zone)) zone += ':00';
  else if (/^[+-]\d{4}$/.test(zone)) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const ms = Date.parse(`${m[1]}T${time}${zone}`);
  return Number.isNaN(ms) ? null : ms;
}

/** A whole --since value that is a time: a date, or a date and time with an optional zone. */
const ABSOLUTE = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:[.,]\d{1,9})?)?\s?(?:Z|[+-]\d{2}(?::?\d{2})?)?))?$/;

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * `--since`: a duration back from now (`90s`, `10m`, `2h`, `1d`, `1h30m`) or a
 * point in time (`2026-11-24T03:00:00Z`, `2026-11-24 03:00`, local without a zone).
 */
export function parseSince(text: string, now = Date.now()): number {
  const trimmed = text.trim();
  if (/^(\d+(\.\d+)?(ms|s|m|h|d|w))+$/.test(trimmed)) {
    let total = 0;
    for (const [, n, unit] of trimmed.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g)) total += Number(n) * DURATION_UNITS[unit!]!;
    return now - Math.round(total);
  }
  const absolute = ABSOLUTE.exec(trimmed);
  if (absolute) {
    const t = lineTime(absolute[2] ? `${absolute[1]}T${absolute[2]}` : `${absolute[1]}T00:00:00`);
    if (t !== null) return t;
  }
  throw new UsageError(
    `invalid --since '${text}': use a duration such as 30s, 10m, 2h or 1d, or a time such as 2026-11-24T03:00:00Z`,
    'INVALID_DURATION',
  );
}

/** The log and its rotated copies, oldest first. */
export function logSeries(file: string): string[] {
  return [...rotatedFiles(file).reverse(), file];
}

function readLines(file: string): string[] {
  let text = readLogFile(file).toString('utf8');
  if (text.endsWith('\n')) text = text.slice(0, -1);
  return text === '' ? [] : text.split('\n');
}

/** The time of the first stamped line among the first lines of a file, read from its start only. */
function firstTime(file: string): number | null {
  const head = file.endsWith('.gz') ? readLogFile(file).subarray(0, 64 * 1024) : readRange(file, 0, 64 * 1024);
  for (const line of head.toString('utf8').split('\n')) {
    const t = lineTime(line);
    if (t !== null) return t;
  }
  return null;
}

export interface SinceResult {
  lines: string[];
  /** False when no line of the log carries a time: --since cannot tell, and printed nothing. */
  stamped: boolean;
}

/**
 * The lines written since `since` (ms since the epoch), across the rotated
 * copies: from the newest file back, only as far as the copy that holds the
 * boundary, so older copies are not read at all.
 */
export function readSince(file: string, since: number): SinceResult {
  const series = logSeries(file);
  // The oldest file needed: the newest one whose first stamp is before `since`.
  let from = 0;
  for (let i = series.length - 1; i >= 0; i--) {
    const t = firstTime(series[i]!);
    if (t !== null && t < since) {
      from = i;
      break;
    }
  }
  const lines: string[] = [];
  // Lines before the first stamp of the oldest file read: older than since when
  // an older file exists (its stamps are earlier still), else they take the next stamp.
  let current: number | null = from > 0 ? Number.NEGATIVE_INFINITY : null;
  let pending: string[] = [];
  let stamped = false;
  for (const part of series.slice(from)) {
    for (const line of readLines(part)) {
      const t = lineTime(line);
      if (t !== null) {
        stamped = true;
        if (current === null && t >= since) lines.push(...pending);
        pending = [];
        current = t;
      }
      if (current === null) pending.push(line);
      else if (current >= since) lines.push(line);
    }
  }
  return { lines, stamped };
}

/** The last `count` lines, continued into the rotated copies when the log itself has fewer (just rotated). */
export function readTailAcross(file: string, count: number, end?: number): string[] {
  let lines = readTail(file, count, end);
  if (lines.length >= count) return lines;
  for (const copy of rotatedFiles(file)) {
    const older = copy.endsWith('.gz') ? readLines(copy).slice(-(count - lines.length)) : readTail(copy, count - lines.length);
    lines = [...older, ...lines];
    if (lines.length >= count) break;
  }
  return lines;
}
