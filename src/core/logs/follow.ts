import fs from 'node:fs';
import { holdsTail, mapCopy, type Resume, resumeAt } from './copy-map.js';
import { READ_NOFOLLOW, readLogFile, readRange } from './read.js';
import { existingCopy } from './rotate.js';

const CHUNK = 64 * 1024;
/** Bytes read from the log between two checks that no rotation began. */
const BATCH = 1024 * 1024;

export interface FollowOptions {
  /** Called with each new piece of a file, as read (whole lines are not waited for). */
  onData: (file: string, chunk: Buffer) => void;
  signal?: AbortSignal;
  intervalMs?: number;
  /** Offsets to start from, one per file (default: their current ends). */
  startAt?: number[];
  /**
   * Told when output could not be printed: the follower fell behind further than the copies
   * kept, or the log was replaced by a symbolic link (never read through; once per link).
   */
  onMissed?: (file: string, message: string) => void;
}

/** Bytes of what was read last that are kept to recognise the same content in a rotated copy. */
const TAIL = 256;
/** Rotated copies looked at for the continuation of what was being followed. */
const MAX_COPIES = 10;

/**
 * Which file a rotated copy is, across the renames of later rotations (same inode and
 * time: the inode of a removed copy is soon given to a new one) and its compression
 * (--compress-logs: the .gz keeps the copy's time, and gzip records the uncompressed size).
 */
interface CopyId {
  path: string;
  ino: number;
  size: number;
  mtimeMs: number;
  gz: boolean;
}

interface Cursor {
  file: string;
  ino: number | null;
  offset: number;
  /** The last bytes read (up to TAIL), ending at `offset`. */
  tail: Buffer;
  /** The newest rotated copy when last looked at: the copies newer than it were made since. */
  newest: CopyId | null;
  /** The log is a symbolic link (said once): not read until a file is back in its place. */
  linked: boolean;
}

function copyIdOf(path: string): CopyId | null {
  try {
    const st = fs.lstatSync(path);
    if (!st.isFile()) return null;
    const gz = path.endsWith('.gz');
    // gzip's last 4 bytes: the uncompressed size (modulo 2^32).
    const size = gz ? readRange(path, st.size - 4, st.size).readUInt32LE(0) : st.size;
    return { path, ino: st.ino, size, mtimeMs: st.mtimeMs, gz };
  } catch {
    return null;
  }
}

function sameCopy(a: CopyId, b: CopyId): boolean {
  if (a.gz === b.gz) return a.ino === b.ino && a.mtimeMs === b.mtimeMs && a.size === b.size;
  const [plain, gz] = a.gz ? [b, a] : [a, b];
  // utimes keeps milliseconds only.
  return gz.size === plain.size % 2 ** 32 && Math.abs(gz.mtimeMs - plain.mtimeMs) < 1;
}

/**
 * The content of a copy, uncompressed: found again by identity, since a rotation running
 * meanwhile may have renamed it (x.log.2 → x.log.3) or compressed it (x.log.2.gz).
 * Empty when it is gone.
 */
function readCopy(file: string, id: CopyId): Buffer {
  for (let attempt = 0; attempt < 5; attempt++) {
    const path = attempt === 0 ? id.path : listCopies(file).find((c) => sameCopy(c, id))?.path;
    if (path === undefined) return Buffer.alloc(0);
    const now = copyIdOf(path);
    if (now === null || !sameCopy(now, id)) continue;
    const data = readLogFile(path);
    // Still the same file after the read (not replaced in between), and all of it.
    const after = copyIdOf(path);
    if (after !== null && sameCopy(after, id) && (id.gz ? data.length % 2 ** 32 === id.size : data.length === id.size)) return data;
  }
  return Buffer.alloc(0);
}

/**
 * The rotated copies, newest first. A rotation running meanwhile renames them one by
 * one (x.log.1 → x.log.2 …), so a gap is looked past and a copy seen twice is kept once.
 */
function listCopies(file: string, max = MAX_COPIES + 1): CopyId[] {
  const out: CopyId[] = [];
  for (let n = 1; n <= max; n++) {
    const path = existingCopy(file, n);
    const id = path === null ? null : copyIdOf(path);
    if (id && !out.some((c) => sameCopy(c, id))) out.push(id);
  }
  return out;
}

/**
 * Prints what is appended to the files from their current end on. Polls (fs.watch
 * misses renames on some systems) and follows rotation so that every byte that reached
 * the file is printed once: when the log was copied then truncated (bgrun's rotation),
 * or renamed (logrotate), the rest of what was being read is taken from its rotated copy
 * (found by identity: the oldest copy made since the last look, or the same inode after
 * a rename; compressed or not), then the newer copies, then the new log. A drop marker
 * in a copy is printed where it stands for what was being read; an unfinished line the
 * rotation carried over to the new log is not printed twice. A truncation without a copy
 * (`flush`) starts over at once. Resolves when the signal aborts.
 */
export async function followFiles(files: string[], options: FollowOptions): Promise<void> {
  const cursors: Cursor[] = files.map((file, i) => {
    const newest = listCopies(file)[0] ?? null;
    try {
      const st = fs.lstatSync(file);
      // A link: nothing of it is read; readNew says so.
      if (!st.isSymbolicLink()) {
        const offset = Math.min(st.size, options.startAt?.[i] ?? st.size);
        return { file, ino: st.ino, offset, tail: readRange(file, Math.max(0, offset - TAIL), offset), newest, linked: false };
      }
    } catch {
      // not there yet
    }
    return { file, ino: null, offset: 0, tail: Buffer.alloc(0), newest, linked: false };
  });
  const interval = options.intervalMs ?? 200;
  while (!options.signal?.aborted) {
    for (const cursor of cursors) readNew(cursor, options);
    // One listener at a time: a long follow must not pile up a listener per poll.
    await new Promise<void>((resolve) => {
      const onAbort = () => {
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        options.signal?.removeEventListener('abort', onAbort);
        resolve();
      }, interval);
      options.signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** Still the content that was read: the bytes before `offset` are the remembered tail. */
function sameContent(file: string, offset: number, tail: Buffer, size: number): boolean {
  if (tail.length === 0) return true;
  const upTo = Math.min(offset, size);
  const from = offset - tail.length;
  if (upTo <= from) return false;
  return readRange(file, from, upTo).equals(tail.subarray(0, upTo - from));
}

function emit(cursor: Cursor, data: Buffer, onData: FollowOptions['onData']): void {
  for (let at = 0; at < data.length; at += CHUNK) onData(cursor.file, data.subarray(at, at + CHUNK));
}

/** The next generation starts with the `beyond` bytes read last (an unfinished line carried over by the rotation). */
function startsWithCarry(data: Buffer, beyond: number, tail: Buffer): boolean {
  if (beyond <= 0 || data.length < beyond) return false;
  const length = Math.min(beyond, tail.length);
  return data.subarray(beyond - length, beyond).equals(tail.subarray(tail.length - length));
}

/**
 * After a rotation: prints the rest of the generation that was being read, from its
 * copy, then the newer copies. Returns how much of the new log's start was already
 * printed (a carried unfinished line).
 */
function catchUp(cursor: Cursor, copies: CopyId[], renamed: boolean, { onData, onMissed }: FollowOptions): number {
  // Candidates for the copy of what was being read, most likely first.
  let candidates: number[];
  /** Taken when no candidate holds the bytes read last, and from where. */
  let fallback: { index: number; whole: boolean } | null = null;
  let missed = false;
  const known = cursor.newest === null ? -1 : copies.findIndex((c) => sameCopy(c, cursor.newest!));
  if (renamed) {
    candidates = copies.flatMap((c, i) => (!c.gz && c.ino === cursor.ino ? [i] : []));
  } else if (cursor.newest === null || cursor.tail.length === 0) {
    // No copy then, or nothing read: every copy made since is newer (a follower that had read
    // nothing cannot tell them apart by content).
    const since = known >= 0 ? known : copies.length;
    candidates = since > 0 ? [since - 1] : [];
    if (since > 0) fallback = { index: since - 1, whole: true };
  } else if (known >= 0) {
    // The oldest copy made since the last look; else the one seen then (named, but the log not yet truncated).
    candidates = known > 0 ? [known - 1, known] : [known];
    if (known > 0) fallback = { index: known - 1, whole: false };
  } else {
    // Gone (more rotations than copies kept, or it changed as it was being finished):
    // by content, newest first; failing that, every copy is newer.
    candidates = copies.map((_, i) => i);
    if (copies.length > 0) fallback = { index: copies.length - 1, whole: true };
    missed = true;
  }
  for (const index of candidates) {
    const data = readCopy(cursor.file, copies[index]!);
    const map = mapCopy(data);
    const resume = resumeAt(map, cursor.offset);
    if (holdsTail(data, map, resume, cursor.tail)) return emitCopies(cursor, copies, index, data, resume, onData);
  }
  if (missed)
    onMissed?.(
      cursor.file,
      `${cursor.file}: rotated faster than it was followed; the output written before ${fallback === null ? 'the log now' : copies[fallback.index]!.path} was removed with older copies before it could be printed`,
    );
  if (fallback === null) return 0;
  const data = readCopy(cursor.file, copies[fallback.index]!);
  const resume = fallback.whole ? { at: 0, dropped: false, beyond: 0 } : resumeAt(mapCopy(data), cursor.offset);
  return emitCopies(cursor, copies, fallback.index, data, resume, onData);
}

/** The rest of copy `index` from `resume`, then the newer copies whole (less a carried piece already printed); returns what is left of that piece. */
function emitCopies(cursor: Cursor, copies: CopyId[], index: number, data: Buffer, resume: Resume, onData: FollowOptions['onData']): number {
  emit(cursor, data.subarray(resume.at), onData);
  let beyond = resume.beyond;
  for (let i = index - 1; i >= 0; i--) {
    const newer = readCopy(cursor.file, copies[i]!);
    const skip = startsWithCarry(newer, beyond, cursor.tail) ? beyond : 0;
    beyond = 0;
    emit(cursor, newer.subarray(skip), onData);
  }
  return beyond;
}

function readNew(cursor: Cursor, options: FollowOptions): void {
  const { onData } = options;
  // The copies before the log: a rotation finishing in between shows as a truncation below.
  let copies = listCopies(cursor.file);
  let st: fs.Stats;
  try {
    st = fs.lstatSync(cursor.file);
  } catch {
    return;
  }
  if (st.isSymbolicLink()) {
    if (!cursor.linked)
      options.onMissed?.(
        cursor.file,
        `${cursor.file} is now a symbolic link, which bgrun does not follow; its output is not printed until the log file itself is back in its place`,
      );
    cursor.linked = true;
    return;
  }
  cursor.linked = false;
  const renamed = cursor.ino !== null && st.ino !== cursor.ino;
  // Copy-then-truncate keeps the inode: the file is shorter, or (it grew back
  // quickly, maybe to the very same size) no longer holds at `offset` what was read
  // there. A follower that had read nothing sees it only by a new copy.
  const newCopy = copies.length > 0 && (cursor.newest === null || !sameCopy(copies[0]!, cursor.newest));
  const truncated =
    !renamed &&
    (st.size < cursor.offset ||
      ((st.size > cursor.offset || newCopy) && !sameContent(cursor.file, cursor.offset, cursor.tail, st.size)) ||
      (cursor.offset === 0 && newCopy));
  if (renamed || truncated) {
    // Listed again: the copy of what was being read is named before the truncate that showed it.
    copies = listCopies(cursor.file);
    const carried = catchUp(cursor, copies, renamed, options);
    // The new log starts with what was already printed: go on after it.
    const head = carried > 0 ? readRange(cursor.file, 0, carried) : Buffer.alloc(0);
    const skip = startsWithCarry(head, carried, cursor.tail) ? carried : 0;
    cursor.offset = skip;
    cursor.tail = Buffer.from(head.subarray(Math.max(0, skip - TAIL), skip));
  }
  cursor.newest = copies[0] ?? null;
  cursor.ino = st.ino;
  let fd: number;
  try {
    fd = fs.openSync(cursor.file, READ_NOFOLLOW);
  } catch {
    // Replaced (by a link, or removed) since the look above: the next poll sees it.
    return;
  }
  try {
    while (cursor.offset < st.size) {
      // Read a batch, then make sure no rotation began meanwhile (it names its copy before it
      // truncates): bytes read then may be the next generation's, so they are read again later.
      const chunks: Buffer[] = [];
      let end = cursor.offset;
      while (end < st.size && end - cursor.offset < BATCH) {
        const length = Math.min(CHUNK, st.size - end);
        const buf = Buffer.allocUnsafe(length);
        const read = fs.readSync(fd, buf, 0, length, end);
        if (read <= 0) break;
        end += read;
        chunks.push(buf.subarray(0, read));
      }
      const now = listCopies(cursor.file)[0] ?? null;
      if (chunks.length === 0 || !sameOrNone(now, cursor.newest)) return;
      for (const chunk of chunks) {
        cursor.offset += chunk.length;
        cursor.tail = chunk.length >= TAIL ? Buffer.from(chunk.subarray(chunk.length - TAIL)) : Buffer.concat([cursor.tail, chunk]).subarray(-TAIL);
        onData(cursor.file, chunk);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

function sameOrNone(a: CopyId | null, b: CopyId | null): boolean {
  return a === null || b === null ? a === b : sameCopy(a, b);
}
