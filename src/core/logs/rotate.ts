import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { LogError, describeSystemError } from '../../errors.js';
import type { StatePaths } from '../paths.js';
import { type Segment, readTimeIndex, resetTimeIndex, translateIndex, writeTimeIndex } from './times.js';
import { LockFailedError, describeLockFailure, withOwnedLock } from '../records/owned-lock.js';

/**
 * Size-based rotation of logs that a program writes through its own O_APPEND
 * file descriptor. Renaming the log would leave the program writing to the
 * renamed file, so this is copy-then-truncate:
 *
 *   x.log.N dropped first (on a full disk it is the room the copy needs)
 *   copy x.log → x.log.rotating (0600), catching up while the program writes
 *   x.log.(N-1) → x.log.N, …, x.log.1 → x.log.2
 *   x.log.rotating → x.log.1; copy the last bytes, ftruncate x.log to 0 at once
 *   the program's next write lands at offset 0
 *
 * The one window in which output can be lost is between the last read that
 * found the end of the file and the ftruncate right after it: whatever the
 * program appends in those few microseconds is neither in the copy nor in
 * the emptied file. Everything read before is already written to x.log.1
 * when the truncate happens, so a follower that sees the truncation finds it
 * there.
 */

const CHUNK = 1024 * 1024;
/** The copy catches up until at most this much is left, then copies the rest and truncates at once. */
const CATCH_UP_BYTES = 64 * 1024;
/** Catch-up passes before giving up on a program that writes faster than we copy. */
const MAX_PASSES = 32;
/** Bound of the final loop (read to the end, then truncate) for the same reason. */
const MAX_FINAL_READS = 4096;

const NOFOLLOW = fs.constants.O_NOFOLLOW ?? 0;

/** The path of the n-th rotated copy (1 is the newest). */
export const rotatedPath = (file: string, n: number): string => `${file}.${n}`;

/** The n-th copy as it exists: x.log.n, or x.log.n.gz when compressed (--compress-logs); null when neither is a file. */
export function existingCopy(file: string, n: number): string | null {
  for (const candidate of [rotatedPath(file, n), `${rotatedPath(file, n)}.gz`]) {
    try {
      if (fs.lstatSync(candidate).isFile()) return candidate;
    } catch {
      // next
    }
  }
  return null;
}

/** Rotated copies that exist, newest first: x.log.1, x.log.2 (or x.log.2.gz), … up to the first gap. */
export function rotatedFiles(file: string, limit = 1000): string[] {
  const out: string[] = [];
  for (let n = 1; n <= limit; n++) {
    const copy = existingCopy(file, n);
    if (copy === null) break;
    out.push(copy);
  }
  return out;
}

/** Every rotated copy in the folder, gaps or not (x.log.1, x.log.7, …), by number. */
export function allRotatedFiles(file: string): string[] {
  const base = path.basename(file);
  let entries: string[];
  try {
    entries = fs.readdirSync(path.dirname(file));
  } catch {
    return [];
  }
  return entries
    .filter((e) => e.startsWith(`${base}.`) && /^\d+(\.gz|\.times)?$/.test(e.slice(base.length + 1)))
    .map((e) => ({ e, n: Number.parseInt(e.slice(base.length + 1), 10) }))
    .sort((a, b) => a.n - b.n)
    .map(({ e }) => path.join(path.dirname(file), e));
}

export interface RotateResult {
  file: string;
  /** Bytes moved into x.log.1 (0 when maxFiles is 0: the log was only emptied). */
  copiedBytes: number;
  /**
   * The loss window, measured from before the read that found the end of the
   * file to after the truncate (an upper bound): a few microseconds, unless the
   * system preempted bgrun right there.
   */
  windowNs: number;
  /** Catch-up passes the copy needed. */
  passes: number;
  /** Output dropped because the program outran rotation (0 normally); the copy has a marker line where it was. */
  droppedBytes: number;
}

function fail(file: string, action: string, error: unknown): never {
  throw new LogError(`cannot rotate ${file}: ${action}: ${describeSystemError(error)}`, error);
}

/** The files of one generation: the copy, its compressed form (--compress-logs), its time index. */
const MEMBERS = ['', '.gz', '.times'];

/** Drops x.log.N and moves every x.log.n to x.log.(n+1), oldest first, so that x.log.1 is free. */
function shift(file: string, maxFiles: number): void {
  for (let n = maxFiles; n >= 1; n--) {
    for (const suffix of MEMBERS) {
      const from = rotatedPath(file, n) + suffix;
      try {
        if (n === maxFiles) fs.rmSync(from, { force: true });
        else fs.renameSync(from, rotatedPath(file, n + 1) + suffix);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') fail(file, `cannot move ${from}`, error);
      }
    }
  }
  // Copies beyond a count lowered since the last rotation.
  for (let n = maxFiles + 1; n <= maxFiles + 1000; n++) {
    let found = false;
    for (const suffix of MEMBERS) {
      try {
        fs.unlinkSync(rotatedPath(file, n) + suffix);
        found = true;
      } catch {
        // not there
      }
    }
    if (!found) break;
  }
}

/** Empties a log that could not be copied (a full disk), leaving one line that says what was dropped; returns how much. */
function emptyWithMarker(file: string, fd: number, keptUpTo: number, maxBytes: number | undefined): number {
  const size = fs.fstatSync(fd).size;
  fs.ftruncateSync(fd, 0);
  const dropped = Math.max(0, size - keptUpTo);
  const marker = Buffer.from(
    `bgrun: dropped ${dropped} bytes of output here at ${new Date().toISOString()}: the disk was full, so the log could not be copied before it was emptied${maxBytes === undefined ? '' : ` (--max-log-size ${maxBytes})`}\n`,
  );
  try {
    // Appended, not written at 0: the program may have written since the truncate.
    const append = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | NOFOLLOW);
    try {
      fs.writeSync(append, marker);
    } finally {
      fs.closeSync(append);
    }
  } catch {
    // no room even for that line
  }
  return dropped;
}

function closeQuietly(fd: number | null): void {
  if (fd === null) return;
  try {
    fs.closeSync(fd);
  } catch {
    // already closed
  }
}

function writeAll(fd: number, buf: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, done, length - done, position + done);
}

/** The line put in a copy where output was dropped; not shaped like a time stamp, so `--since` never takes it for the time of the lines after it. */
export function dropMarker(bytes: number, at: number, maxBytes: number): string {
  return `bgrun: dropped ${bytes} bytes of output here at ${new Date(at).toISOString()}: the program wrote faster than its log could be rotated (--max-log-size ${maxBytes})\n`;
}

export interface RotateOptions {
  /**
   * The log's size limit. When the program outran rotation (the log holds more than
   * twice this), only the newest part that fits the limit is copied: the oldest part of
   * the excess is dropped, with one marker line saying how much and when, instead of
   * copying it all into an oversized copy. Without it, everything is copied.
   */
  maxBytes?: number;
  /** Gzip the new copy into x.log.1.gz (--compress-logs). */
  compress?: boolean;
}

/** Where the bytes of the log went in the copy, and what was dropped. */
class CopyPlan {
  readonly segments: Segment[] = [];
  dropped = 0;
  /** Data bytes in the copy (markers not counted). */
  copied = 0;
  /** The copy's size, markers included. */
  end = 0;
  private pendingDrop = 0;

  constructor(
    private readonly maxBytes: number | undefined,
    private readonly dst: number,
  ) {}

  /** Past twice the limit, skip all but the newest part that still fits it; returns where to read from. */
  skipExcess(position: number, size: number): number {
    const max = this.maxBytes;
    if (max === undefined || this.copied + (size - position) <= 2 * max) return position;
    const keep = Math.max(0, max - this.copied);
    const skip = size - position - keep;
    this.pendingDrop += skip;
    return position + skip;
  }

  /** Writes a piece read at `position`; after a skip, starts at a line boundary and puts the marker first. Returns how much of it was used. */
  write(buf: Buffer, length: number, position: number): number {
    let from = 0;
    if (this.pendingDrop > 0) {
      // Start at the next line, so the copy holds no torn line (unless the line is longer than the piece).
      const newline = buf.subarray(0, length).indexOf(10);
      if (newline >= 0 && newline + 1 < length) from = newline + 1;
      const marker = Buffer.from(dropMarker(this.pendingDrop + from, Date.now(), this.maxBytes ?? 0));
      writeAll(this.dst, marker, marker.length, this.end);
      this.end += marker.length;
      this.dropped += this.pendingDrop + from;
      this.pendingDrop = 0;
      this.segments.push({ from: position + from, to: position + from, at: this.end });
    } else if (this.segments.length === 0) {
      this.segments.push({ from: position, to: position, at: this.end });
    }
    const used = length - from;
    writeAll(this.dst, buf.subarray(from), used, this.end);
    this.end += used;
    this.copied += used;
    this.segments[this.segments.length - 1]!.to = position + length;
    return length;
  }

  /** The last `bytes` of the copy moved elsewhere (an unfinished line carried over to the emptied log). */
  cutEnd(bytes: number): void {
    this.end -= bytes;
    this.copied -= bytes;
    fs.ftruncateSync(this.dst, this.end);
    const last = this.segments[this.segments.length - 1];
    if (last) last.to -= bytes;
  }

  /** Output lost at the end (the final step gave up on a writer that kept ahead of it). */
  droppedAtEnd(bytes: number): void {
    if (bytes <= 0) return;
    const marker = Buffer.from(dropMarker(bytes, Date.now(), this.maxBytes ?? 0));
    writeAll(this.dst, marker, marker.length, this.end);
    this.end += marker.length;
    this.dropped += bytes;
  }
}

/**
 * Rotates one log now, whatever its size. Asynchronous where it may take long
 * (the bulk of the copy), synchronous in the final step so that nothing runs
 * between the read that reaches the end and the truncate.
 */
export async function rotateLog(file: string, maxFiles: number, options: RotateOptions = {}): Promise<RotateResult> {
  let src: fs.promises.FileHandle;
  try {
    src = await fs.promises.open(file, fs.constants.O_RDWR | NOFOLLOW);
  } catch (error) {
    fail(file, 'cannot open it', error);
  }
  try {
    if (maxFiles <= 0) {
      const before = process.hrtime.bigint();
      fs.ftruncateSync(src.fd, 0);
      const windowNs = Number(process.hrtime.bigint() - before);
      resetTimeIndex(file);
      return { file, copiedBytes: 0, droppedBytes: 0, windowNs, passes: 0 };
    }
    // The bulk of the copy goes to a temporary name: a rotation interrupted there
    // (Ctrl-C, SIGKILL, disk full) leaves the copies as they were and nothing duplicated.
    const temp = `${file}.rotating`;
    const target = rotatedPath(file, 1);
    fs.rmSync(temp, { force: true }); // left by an interrupted rotation; we hold the log lock
    // The oldest copy goes first, before the new one needs the space (on a full disk it is what makes room).
    for (const suffix of MEMBERS) fs.rmSync(rotatedPath(file, maxFiles) + suffix, { force: true });
    let named = false;
    let truncated = false;
    /** Bytes of the log already in the named copy (x.log.1), for a rotation cut short by a full disk. */
    let copiedSoFar = 0;
    let appendFd: number | null = null;
    let release = () => {};
    let dst: fs.promises.FileHandle;
    try {
      dst = await fs.promises.open(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW, 0o600);
    } catch (error) {
      fail(file, `cannot create ${temp}`, error);
    }
    try {
      const buf = takeBuffer();
      release = () => giveBuffer(buf);
      const plan = new CopyPlan(options.maxBytes, dst.fd);
      let position = 0;
      let passes = 0;
      /** Bytes of `buf` that are the newest ones copied (the last read): where the copy's last line starts. */
      let lastPiece = 0;
      // Bulk: copy up to the size seen, again and again while the program keeps writing.
      for (; passes < MAX_PASSES; passes++) {
        const size = (await src.stat()).size;
        if (size - position <= CATCH_UP_BYTES) break;
        position = plan.skipExcess(position, size);
        while (position < size) {
          const { bytesRead } = await src.read(buf, 0, Math.min(CHUNK, size - position), position);
          if (bytesRead === 0) break;
          position += plan.write(buf, bytesRead, position);
          lastPiece = bytesRead;
        }
      }
      // Now the copy becomes x.log.1, before the truncate, so that a follower that
      // sees the truncation finds everything it had not read in x.log.1.
      shift(file, maxFiles);
      fs.renameSync(temp, target);
      named = true;
      copiedSoFar = position;
      // Final step, synchronous: copy what is left until a read finds the end, and
      // truncate right then, with no allocation (so no garbage collection) in between.
      // A writer that keeps ahead of it for more than the limit (or MAX_FINAL_READS
      // reads) is cut there: what it wrote past the last read is dropped, and said so.
      const fd = src.fd;
      // To carry the copy's unfinished last line over to the emptied log (below): opened now, not in the window.
      try {
        appendFd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | NOFOLLOW);
      } catch {
        // then the copy keeps it
      }
      const sizeNow = fs.fstatSync(fd).size;
      position = plan.skipExcess(position, sizeNow);
      const finalLimit = options.maxBytes === undefined ? Number.POSITIVE_INFINITY : sizeNow - position + options.maxBytes;
      let finalBytes = 0;
      let windowNs = 0;
      let doneAt = 0;
      for (let reads = 0; ; reads++) {
        const before = process.hrtime.bigint();
        const n = fs.readSync(fd, buf, 0, Math.min(CHUNK, Math.max(4096, finalLimit - finalBytes)), position);
        if (n === 0 || reads >= MAX_FINAL_READS || finalBytes >= finalLimit) {
          const left = n === 0 ? 0 : fs.fstatSync(fd).size - position;
          // The copy ends with an unfinished line when the program wrote a line in pieces (or
          // was mid-write): that piece, still in `buf`, moves to the emptied log right after
          // the truncate, where the rest of its line follows; the copy is cut at its last newline.
          const newline = n === 0 && appendFd !== null && lastPiece > 0 ? buf.lastIndexOf(10, lastPiece - 1) : -1;
          const carry = newline >= 0 ? lastPiece - newline - 1 : 0;
          // The copy is final before the truncate: a follower that sees the truncation finds
          // it whole, with its end marker, and without the piece that moves to the new log.
          if (carry > 0) plan.cutEnd(carry);
          plan.droppedAtEnd(left);
          fs.ftruncateSync(fd, 0);
          let carried = carry > 0;
          if (carried) {
            try {
              fs.writeSync(appendFd!, buf, newline + 1, carry);
            } catch {
              carried = false;
            }
          }
          windowNs = Number(process.hrtime.bigint() - before);
          doneAt = Date.now();
          truncated = true;
          // Not written to the new log: the copy keeps it after all.
          if (carry > 0 && !carried) plan.write(buf.subarray(newline + 1), carry, position - carry);
          break;
        }
        position += plan.write(buf, n, position);
        copiedSoFar = position;
        finalBytes += n;
        lastPiece = n;
      }
      // The index moves with its log, in the same synchronous step: no observation of the
      // emptied log can land in between.
      const index = readTimeIndex(file);
      if (index) {
        resetTimeIndex(file);
        const moved = translateIndex(index, plan.segments, plan.end, doneAt);
        writeTimeIndex(target, moved.offsets, moved.times);
      }
      await dst.close().catch(() => {});
      if (options.compress) await compressCopy(target);
      return { file, copiedBytes: plan.copied, droppedBytes: plan.dropped, windowNs, passes };
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (!truncated && (code === 'ENOSPC' || code === 'EDQUOT')) {
        // The disk is full, and the program filling it would keep it full: the log is
        // emptied all the same, with one line saying how much was dropped, so that the
        // limit holds. What was copied before (a named copy) is kept.
        if (!named) fs.rmSync(temp, { force: true });
        const dropped = emptyWithMarker(file, src.fd, named ? copiedSoFar : 0, options.maxBytes);
        resetTimeIndex(file);
        return { file, copiedBytes: 0, droppedBytes: dropped, windowNs: 0, passes: 0 };
      }
      // Not truncated: the log still holds everything, so a partial copy would only duplicate it.
      if (!truncated) fs.rmSync(named ? target : temp, { force: true });
      if (error instanceof LogError) throw error;
      fail(file, 'copy failed', error);
    } finally {
      closeQuietly(appendFd);
      release();
      await dst.close().catch(() => {});
    }
  } finally {
    await src.close().catch(() => {});
  }
}

/**
 * One copy buffer kept between rotations: a process that rotates a fast writer's log
 * a hundred times a second (the supervisor) would otherwise allocate 100 MB a second
 * for the garbage collector to chase.
 */
let spare: Buffer | null = null;
function takeBuffer(): Buffer {
  const buf = spare ?? Buffer.allocUnsafe(CHUNK);
  spare = null;
  return buf;
}
function giveBuffer(buf: Buffer): void {
  spare = buf;
}

/**
 * x.log.1 → x.log.1.gz: written under a temporary name, then renamed, and only then
 * is the plain copy removed, so a reader always finds one of them whole. A copy that
 * cannot be compressed (disk full) stays as it is.
 */
async function compressCopy(copy: string): Promise<void> {
  // Loaded only here: most commands never compress (and the CLI bundle keeps one dynamic import()).
  const load = createRequire(import.meta.url);
  const { createGzip } = load('node:zlib') as typeof import('node:zlib');
  const { pipeline } = load('node:stream/promises') as typeof import('node:stream/promises');
  const temp = `${copy}.gz.rotating`;
  try {
    const { atime, mtime } = fs.lstatSync(copy);
    await pipeline(fs.createReadStream(copy, { fd: fs.openSync(copy, fs.constants.O_RDONLY | NOFOLLOW) }), createGzip(), fs.createWriteStream(temp, { mode: 0o600, flags: 'wx' }));
    // The copy's time, kept: a follower recognises the .gz as the copy it saw (by time and size).
    fs.utimesSync(temp, atime, mtime);
    fs.renameSync(temp, `${copy}.gz`);
    fs.unlinkSync(copy);
  } catch (error) {
    fs.rmSync(temp, { force: true });
    fail(copy, 'cannot compress it', error);
  }
}

/** Rotates the log if it is larger than maxBytes; null when it is not (one stat). */
export async function rotateIfOver(file: string, maxBytes: number, maxFiles: number, options: { compress?: boolean } = {}): Promise<RotateResult | null> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return null;
  }
  if (size <= maxBytes) return null;
  return rotateLog(file, maxFiles, { maxBytes, compress: options.compress });
}

/** Longer than a rotation or a flush takes, even of a large log on a loaded machine. */
const LOCK_TIMEOUT_MS = 60_000;

/**
 * Runs `fn` holding the log lock (`logs.lock`, core/records/owned-lock.ts): rotations
 * and flushes of the same state folder never interleave (two of them copying one log
 * would duplicate it). A lock of its own, so a long copy never delays starts, stops or restarts.
 */
export async function withLogLock<T>(paths: StatePaths, fn: () => T | Promise<T>): Promise<T> {
  try {
    return await withOwnedLock(`${paths.logs}.lock`, LOCK_TIMEOUT_MS, fn);
  } catch (error) {
    if (!(error instanceof LockFailedError)) throw error;
    throw new LogError(`cannot lock the logs of ${paths.home}: ${describeLockFailure(error)}`, error);
  }
}
