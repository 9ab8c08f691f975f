import fs from 'node:fs';
import { createRequire } from 'node:module';

const CHUNK = 64 * 1024;

/** A log's size in bytes; 0 while it does not exist yet. */
export function fileSize(file: string): number {
  try {
    return fs.statSync(file).size;
  } catch {
    return 0;
  }
}

/**
 * The last `count` lines of a file, read backwards from its end in chunks, so
 * the cost depends on the lines asked for, not on the size of the log.
 */
export function readTail(file: string, count: number, end?: number): string[] {
  if (count <= 0) return [];
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  try {
    // `end` lets a follower start exactly where the tail stopped: no line lost or printed twice in between.
    const size = Math.min(fs.fstatSync(fd).size, end ?? Number.POSITIVE_INFINITY);
    let position = size;
    let chunks: Buffer[] = [];
    let newlines = 0;
    // A trailing newline ends the last line rather than starting an empty one.
    while (position > 0 && newlines <= count) {
      const length = Math.min(CHUNK, position);
      position -= length;
      const buf = Buffer.allocUnsafe(length);
      fs.readSync(fd, buf, 0, length, position);
      for (let i = 0; i < length; i++) if (buf[i] === 10) newlines++;
      chunks = [buf, ...chunks];
    }
    let text = Buffer.concat(chunks).toString('utf8');
    if (text.endsWith('\n')) text = text.slice(0, -1);
    if (text === '') return [];
    const lines = text.split('\n');
    return lines.slice(-count);
  } finally {
    fs.closeSync(fd);
  }
}

export interface FollowOptions {
  /** Called with each new piece of a file, as read (whole lines are not waited for). */
  onData: (file: string, chunk: Buffer) => void;
  signal?: AbortSignal;
  intervalMs?: number;
  /** Offsets to start from, one per file (default: their current ends). */
  startAt?: number[];
}

/** Bytes of what was read last that are kept to recognise the same content in a rotated copy. */
const TAIL = 256;
/** Rotated copies looked at for the continuation of what was being followed. */
const MAX_COPIES = 10;

interface Cursor {
  file: string;
  ino: number | null;
  offset: number;
  /** The last bytes read (up to TAIL), ending at `offset`. */
  tail: Buffer;
  /** Which file x.log.1 was when last looked at: a new one means a rotation, even one the offset cannot show. */
  newestCopy: string | null;
}

/** Inode, size and time of a file: a copy made by a rotation is a new file with a new stamp. */
function stampOf(file: string): string | null {
  try {
    const st = fs.statSync(file);
    return `${st.ino}:${st.size}:${st.mtimeMs}`;
  } catch {
    return null;
  }
}

/**
 * Prints what is appended to the files from their current end on. Polls (fs.watch
 * misses renames on some systems) and follows rotation without losing what
 * reached the file: when the log was copied then truncated (bgrun's rotation),
 * or renamed (logrotate), the rest of what was being read is taken from the
 * rotated copy (x.log.1, or older ones after several rotations) before starting
 * over at the beginning of the new log. A truncation by `flush` starts over at
 * once. Resolves when the signal aborts.
 */
export async function followFiles(files: string[], options: FollowOptions): Promise<void> {
  const cursors: Cursor[] = files.map((file, i) => {
    try {
      const st = fs.statSync(file);
      const offset = Math.min(st.size, options.startAt?.[i] ?? st.size);
      return { file, ino: st.ino, offset, tail: readRange(file, Math.max(0, offset - TAIL), offset), newestCopy: stampOf(`${file}.1`) };
    } catch {
      return { file, ino: null, offset: 0, tail: Buffer.alloc(0), newestCopy: stampOf(`${file}.1`) };
    }
  });
  const interval = options.intervalMs ?? 200;
  while (!options.signal?.aborted) {
    for (const cursor of cursors) readNew(cursor, options.onData);
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

/** Bytes [from, to) of a file, fewer if it is shorter; empty when it cannot be read. */
export function readRange(file: string, from: number, to: number): Buffer {
  if (to <= from) return Buffer.alloc(0);
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return Buffer.alloc(0);
  }
  try {
    const buf = Buffer.allocUnsafe(to - from);
    let done = 0;
    while (done < buf.length) {
      const n = fs.readSync(fd, buf, done, buf.length - done, from + done);
      if (n <= 0) break;
      done += n;
    }
    return buf.subarray(0, done);
  } finally {
    fs.closeSync(fd);
  }
}

/** Still the content that was read: the bytes before `offset` are the remembered tail. */
function sameContent(file: string, offset: number, tail: Buffer, size: number): boolean {
  if (tail.length === 0) return true;
  const upTo = Math.min(offset, size);
  const from = offset - tail.length;
  if (upTo <= from) return false;
  // A copy may end short of `offset` by what was lost while rotating; what it has must match.
  return readRange(file, from, upTo).equals(tail.subarray(0, upTo - from));
}

/**
 * Where what the cursor was reading went: the rotated copy holding its
 * content (by inode after a rename, by content after copy-then-truncate),
 * and the newer copies made since. Null when it is nowhere (flushed).
 */
function findRotated(cursor: Cursor, renamed: boolean): { index: number; copies: string[] } | null {
  const copies: string[] = [];
  for (let n = 1; n <= MAX_COPIES; n++) {
    const copy = `${cursor.file}.${n}`;
    let st: fs.Stats;
    try {
      st = fs.statSync(copy);
    } catch {
      break;
    }
    copies.push(copy);
    const match = renamed ? st.ino === cursor.ino : cursor.offset > 0 && sameContent(copy, cursor.offset, cursor.tail, st.size);
    if (match) return { index: n - 1, copies };
  }
  return null;
}

function emitFile(cursor: Cursor, file: string, from: number, onData: FollowOptions['onData']): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return;
  }
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    let position = from;
    for (;;) {
      const read = fs.readSync(fd, buf, 0, CHUNK, position);
      if (read <= 0) break;
      position += read;
      onData(cursor.file, Buffer.from(buf.subarray(0, read)));
    }
  } finally {
    fs.closeSync(fd);
  }
}

function readNew(cursor: Cursor, onData: FollowOptions['onData']): void {
  let st: fs.Stats;
  try {
    st = fs.statSync(cursor.file);
  } catch {
    return;
  }
  const renamed = cursor.ino !== null && st.ino !== cursor.ino;
  // Copy-then-truncate keeps the inode: the file is shorter, or (it grew back
  // quickly) no longer holds at `offset` what was read there.
  const truncated =
    !renamed && (st.size < cursor.offset || (st.size > cursor.offset && !sameContent(cursor.file, cursor.offset, cursor.tail, st.size)));
  if (renamed || truncated) {
    const found = findRotated(cursor, renamed);
    if (found) {
      // The rest of the copy that was being read, then any newer copies whole, oldest first.
      emitFile(cursor, found.copies[found.index]!, cursor.offset, onData);
      for (let i = found.index - 1; i >= 0; i--) emitFile(cursor, found.copies[i]!, 0, onData);
    }
    cursor.offset = 0;
    cursor.tail = Buffer.alloc(0);
  } else if (cursor.offset === 0) {
    // Nothing read yet (a follower that was stopped or slow, or an empty log): a rotation
    // leaves the log as short as before, so only a new x.log.1 tells. Everything in the
    // copies made since was never read: they are printed whole, oldest first.
    const newest = stampOf(`${cursor.file}.1`);
    if (newest !== null && newest !== cursor.newestCopy) {
      const copies: string[] = [];
      for (let n = 1; n <= MAX_COPIES; n++) {
        const copy = `${cursor.file}.${n}`;
        const stamp = stampOf(copy);
        if (stamp === null || stamp === cursor.newestCopy) break;
        copies.push(copy);
      }
      for (let i = copies.length - 1; i >= 0; i--) emitFile(cursor, copies[i]!, 0, onData);
    }
  }
  cursor.newestCopy = stampOf(`${cursor.file}.1`);
  cursor.ino = st.ino;
  if (st.size <= cursor.offset) return;
  const fd = fs.openSync(cursor.file, 'r');
  try {
    while (cursor.offset < st.size) {
      const length = Math.min(CHUNK, st.size - cursor.offset);
      const buf = Buffer.allocUnsafe(length);
      const read = fs.readSync(fd, buf, 0, length, cursor.offset);
      if (read <= 0) break;
      cursor.offset += read;
      const chunk = buf.subarray(0, read);
      cursor.tail = chunk.length >= TAIL ? Buffer.from(chunk.subarray(chunk.length - TAIL)) : Buffer.concat([cursor.tail, chunk]).subarray(-TAIL);
      onData(cursor.file, chunk);
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** A log file's content; a compressed copy (x.log.1.gz) is uncompressed. Empty when it cannot be read. */
export function readLogFile(file: string): Buffer {
  try {
    const data = fs.readFileSync(file);
    if (!file.endsWith('.gz')) return data;
    const { gunzipSync } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
    return gunzipSync(data);
  } catch {
    return Buffer.alloc(0);
  }
}

