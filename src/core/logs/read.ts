import fs from 'node:fs';
import { createRequire } from 'node:module';
import { LogError } from '../../errors.js';

const CHUNK = 64 * 1024;

/**
 * Every log is opened for reading without following a link: one planted in place of a
 * log (or of a copy, or of a time index) would otherwise show another file's content.
 * O_NOFOLLOW concerns the last part of the path only, so a log inside a linked folder
 * (a user's `--out-log` under a linked /var/log/app) is still read.
 */
export const READ_NOFOLLOW = fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0);

/** Why a log that is a link is not read, and what to do. */
export const LINKED_LOG = 'it is a symbolic link, which bgrun does not follow; replace the link with the log file itself';

/** The error for a log that is a link: one line naming it and what to do. */
export function linkedLogError(file: string, cause?: unknown): LogError {
  return new LogError(`cannot read the log ${file}: ${LINKED_LOG}`, cause, 'LOG_IS_LINK');
}

/** Whether the path itself (not a folder above it) is a symbolic link. */
export function isLink(file: string): boolean {
  try {
    return fs.lstatSync(file).isSymbolicLink();
  } catch {
    return false;
  }
}

/** Refuses a log that is a link before anything of it is printed (the reads below would find nothing in it). */
export function refuseLinkedLog(file: string): void {
  if (isLink(file)) throw linkedLogError(file);
}

/** A log's size in bytes; 0 while it does not exist yet, or when it is a link. */
export function fileSize(file: string): number {
  try {
    const st = fs.lstatSync(file);
    return st.isSymbolicLink() ? 0 : st.size;
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
    fd = fs.openSync(file, READ_NOFOLLOW);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return [];
    if (code === 'ELOOP') throw linkedLogError(file, error);
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

/** Bytes [from, to) of a file, fewer if it is shorter; empty when it cannot be read (a link included). */
export function readRange(file: string, from: number, to: number): Buffer {
  if (to <= from) return Buffer.alloc(0);
  let fd: number;
  try {
    fd = fs.openSync(file, READ_NOFOLLOW);
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

/** A log file's content; a compressed copy (x.log.1.gz) is uncompressed. Empty when it cannot be read (a link included). */
export function readLogFile(file: string): Buffer {
  try {
    const data = readNoFollow(file);
    if (!file.endsWith('.gz')) return data;
    const { gunzipSync } = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib');
    return gunzipSync(data);
  } catch {
    return Buffer.alloc(0);
  }
}


function readNoFollow(file: string): Buffer {
  const fd = fs.openSync(file, READ_NOFOLLOW);
  try {
    return fs.readFileSync(fd);
  } finally {
    fs.closeSync(fd);
  }
}
