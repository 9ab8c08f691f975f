import fs from 'node:fs';

/**
 * The time index of a log: when each part of it was written, without bgrun
 * writing into the log itself (the kernel stays its only writer).
 *
 * `x.log.times` beside `x.log` holds one line per observation, `<offset> <ms>`:
 * at time `ms` (ms since the epoch) the log held `offset` bytes, so every byte
 * before `offset` was written by then. Whatever watches the log (the
 * supervisor's log keeper) appends a line when it sees the file grow, at most
 * every ~100 ms. A line of the log gets the time of the first entry at or after
 * its end: an upper bound, never earlier than the truth, and at most one
 * observation interval late while the watcher runs. Lines past the last entry
 * get the file's modification time, also an upper bound: a gap in the index
 * (the watcher was gone) makes times coarser, never wrong.
 *
 * The index rotates with its log (x.log.1.times) and is emptied with it.
 */

export const timesPath = (log: string): string => `${log}.times`;

/** An index is never read, written or emptied through a link planted in its place. */
const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

export interface TimeIndex {
  /** Offsets, non-decreasing, and the time each was reached. */
  offsets: number[];
  times: number[];
  /** Why the index could not be read whole (the entries before the problem are kept), or null. */
  problem: string | null;
  /** The index is a symbolic link: not read (no entries), and said so differently from damage. */
  linked?: boolean;
}

const ENTRY = /^(\d{1,15}) (\d{1,15})$/;

/** Parses an index; stops at the first bad entry and says why. */
export function parseTimeIndex(text: string): TimeIndex {
  const index: TimeIndex = { offsets: [], times: [], problem: null };
  if (text === '') return index;
  const lines = text.split('\n');
  // Every entry ends with a newline: a last piece without one was cut short.
  const last = lines.pop();
  if (last !== '') index.problem = 'it ends in the middle of an entry';
  for (const [i, line] of lines.entries()) {
    const m = ENTRY.exec(line);
    const offset = m ? Number(m[1]) : Number.NaN;
    const prev = index.offsets[index.offsets.length - 1] ?? 0;
    if (!m || offset < prev) {
      index.problem = `entry ${i + 1} is ${m ? 'out of order' : 'not "<offset> <time>"'}`;
      break;
    }
    index.offsets.push(offset);
    index.times.push(Number(m[2]));
  }
  return index;
}

/**
 * The index of a log, or null when it has none. Never read through a link: a planted
 * one gives no entries (and `linked`), so no line is dated by another file.
 */
export function readTimeIndex(log: string): TimeIndex | null {
  let text: string;
  let fd: number;
  try {
    fd = fs.openSync(timesPath(log), fs.constants.O_RDONLY | NOFOLLOW);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return { offsets: [], times: [], problem: 'it is a symbolic link', linked: true };
    return null;
  }
  try {
    text = fs.readFileSync(fd, 'latin1');
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
  return parseTimeIndex(text);
}

/** Appends one observation; one small O_APPEND write, so concurrent appends never interleave. */
export function appendTime(log: string, offset: number, ms: number): void {
  const fd = fs.openSync(timesPath(log), fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, `${offset} ${Math.round(ms)}\n`);
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes a whole index (a rotated copy's) at once. */
export function writeTimeIndex(log: string, offsets: number[], times: number[]): void {
  let text = '';
  for (let i = 0; i < offsets.length; i++) text += `${offsets[i]} ${Math.round(times[i]!)}\n`;
  const fd = fs.openSync(timesPath(log), fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | NOFOLLOW, 0o600);
  try {
    fs.writeSync(fd, text);
  } finally {
    fs.closeSync(fd);
  }
}

/** Empties the index of a log (it was truncated); nothing when it has none, or when it is a link (never its target). */
export function resetTimeIndex(log: string): void {
  let fd: number;
  try {
    fd = fs.openSync(timesPath(log), fs.constants.O_WRONLY | NOFOLLOW);
  } catch {
    return;
  }
  try {
    fs.ftruncateSync(fd, 0);
  } catch {
    // its entries stay; later lines get coarser times, never wrong ones
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * A file's modification time as an upper bound of its writes: the kernel stamps it
 * from a coarse clock (one scheduler tick, up to 10 ms, behind the real time).
 */
export const MTIME_SLACK_MS = 10;

/**
 * The time of a line that ends at byte `end` (exclusive): the first entry at
 * or after it, else `fallback` (the file's modification time plus MTIME_SLACK_MS). Binary search.
 */
export function timeAt(index: TimeIndex | null, end: number, fallback: number): number {
  if (!index) return fallback;
  const { offsets, times } = index;
  let lo = 0;
  let hi = offsets.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (offsets[mid]! < end) lo = mid + 1;
    else hi = mid;
  }
  return lo < offsets.length ? times[lo]! : fallback;
}

export interface Segment {
  /** Bytes [from, to) of the log … */
  from: number;
  to: number;
  /** … are at this offset of the copy. */
  at: number;
}

/**
 * The index of a rotated copy made of pieces of the log (some of it dropped):
 * each entry moves with its byte; an entry inside a dropped part moves to
 * the start of the piece after it (those bytes are gone; the marker before it
 * was written no later). A last entry says the copy was whole at `doneAt`.
 */
export function translateIndex(index: TimeIndex, segments: Segment[], copyEnd: number, doneAt: number): { offsets: number[]; times: number[] } {
  const offsets: number[] = [];
  const times: number[] = [];
  for (let i = 0; i < index.offsets.length; i++) {
    const offset = index.offsets[i]!;
    const segment = segments.find((s) => offset <= s.to);
    const mapped = segment === undefined ? copyEnd : segment.at + Math.max(0, offset - segment.from);
    if (offsets.length > 0 && mapped < offsets[offsets.length - 1]!) continue;
    offsets.push(Math.min(mapped, copyEnd));
    times.push(index.times[i]!);
  }
  offsets.push(copyEnd);
  times.push(doneAt);
  return { offsets, times };
}
