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

