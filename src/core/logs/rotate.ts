import fs from 'node:fs';
import path from 'node:path';
import { LogError, describeSystemError } from '../../errors.js';
import type { StatePaths } from '../paths.js';

/**
 * Size-based rotation of logs that a program writes through its own O_APPEND
 * file descriptor. Renaming the log would leave the program writing to the
 * renamed file, so this is copy-then-truncate:
 *
 *   copy x.log → x.log.rotating (0600), catching up while the program writes
 *   x.log.(N-1) → x.log.N, …, x.log.1 → x.log.2   (x.log.N dropped)
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

/** Rotated copies that exist, newest first: x.log.1, x.log.2, … up to the first gap. */
export function rotatedFiles(file: string, limit = 1000): string[] {
  const out: string[] = [];
  for (let n = 1; n <= limit; n++) {
    const candidate = rotatedPath(file, n);
    try {
      if (!fs.lstatSync(candidate).isFile()) break;
    } catch {
      break;
    }
    out.push(candidate);
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
    .filter((e) => e.startsWith(`${base}.`) && /^\d+$/.test(e.slice(base.length + 1)))
    .map((e) => ({ e, n: Number(e.slice(base.length + 1)) }))
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
}

function fail(file: string, action: string, error: unknown): never {
  throw new LogError(`cannot rotate ${file}: ${action}: ${describeSystemError(error)}`, error);
}

/** Drops x.log.N and moves every x.log.n to x.log.(n+1), oldest first, so that x.log.1 is free. */
function shift(file: string, maxFiles: number): void {
  for (let n = maxFiles; n >= 1; n--) {
    const from = rotatedPath(file, n);
    try {
      if (n === maxFiles) fs.rmSync(from, { force: true });
      else fs.renameSync(from, rotatedPath(file, n + 1));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') fail(file, `cannot move ${from}`, error);
    }
  }
  // Copies beyond a count lowered since the last rotation.
  for (let n = maxFiles + 1; n <= maxFiles + 1000; n++) {
    try {
      fs.unlinkSync(rotatedPath(file, n));
    } catch {
      break;
    }
  }
}

function writeAll(fd: number, buf: Buffer, length: number, position: number): void {
  let done = 0;
  while (done < length) done += fs.writeSync(fd, buf, done, length - done, position + done);
}

/**
 * Rotates one log now, whatever its size. Asynchronous where it may take long
 * (the bulk of the copy), synchronous in the final step so that nothing runs
 * between the read that reaches the end and the truncate.
 */
export async function rotateLog(file: string, maxFiles: number): Promise<RotateResult> {
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
      return { file, copiedBytes: 0, windowNs: Number(process.hrtime.bigint() - before), passes: 0 };
    }
    // The bulk of the copy goes to a temporary name: a rotation interrupted there
    // (Ctrl-C, SIGKILL, disk full) leaves the copies as they were and nothing duplicated.
    const temp = `${file}.rotating`;
    const target = rotatedPath(file, 1);
    fs.rmSync(temp, { force: true }); // left by an interrupted rotation; we hold the log lock
    let named = false;
    let truncated = false;
    let dst: fs.promises.FileHandle;
    try {
      dst = await fs.promises.open(temp, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | NOFOLLOW, 0o600);
    } catch (error) {
      fail(file, `cannot create ${temp}`, error);
    }
    try {
      const buf = Buffer.allocUnsafe(CHUNK);
      let position = 0;
      let passes = 0;
      // Bulk: copy up to the size seen, again and again while the program keeps writing.
      for (; passes < MAX_PASSES; passes++) {
        const size = (await src.stat()).size;
        if (size - position <= CATCH_UP_BYTES) break;
        while (position < size) {
          const { bytesRead } = await src.read(buf, 0, Math.min(CHUNK, size - position), position);
          if (bytesRead === 0) break;
          await dst.write(buf, 0, bytesRead, position);
          position += bytesRead;
        }
      }
      // Now the copy becomes x.log.1, before the truncate, so that a follower that
      // sees the truncation finds everything it had not read in x.log.1.
      shift(file, maxFiles);
      fs.renameSync(temp, target);
      named = true;
      // Final step, synchronous: copy what is left until a read finds the end, and
      // truncate right then, with no allocation (so no garbage collection) in between.
      const fd = src.fd;
      let windowNs = 0;
      for (let reads = 0; ; reads++) {
        const before = process.hrtime.bigint();
        const n = fs.readSync(fd, buf, 0, CHUNK, position);
        if (n === 0 || reads >= MAX_FINAL_READS) {
          fs.ftruncateSync(fd, 0);
          windowNs = Number(process.hrtime.bigint() - before);
          truncated = true;
          if (n > 0) writeAll(dst.fd, buf, n, position);
          position += n;
          break;
        }
        writeAll(dst.fd, buf, n, position);
        position += n;
      }
      return { file, copiedBytes: position, windowNs, passes };
    } catch (error) {
      // Not truncated: the log still holds everything, so a partial copy would only duplicate it.
      if (!truncated) fs.rmSync(named ? target : temp, { force: true });
      if (error instanceof LogError) throw error;
      fail(file, 'copy failed', error);
    } finally {
      await dst.close().catch(() => {});
    }
  } finally {
    await src.close().catch(() => {});
  }
}

/** Rotates the log if it is larger than maxBytes; null when it is not (one stat). */
export async function rotateIfOver(file: string, maxBytes: number, maxFiles: number): Promise<RotateResult | null> {
  let size: number;
  try {
    size = fs.statSync(file).size;
  } catch {
    return null;
  }
  if (size <= maxBytes) return null;
  return rotateLog(file, maxFiles);
}

/** How long a lock left by a killed bgrun blocks the next rotation. */
const STALE_MS = 2000;

/**
 * Runs `fn` holding the log lock: rotations and flushes of the same state
 * folder never interleave (two of them copying one log would duplicate it).
 * A lock of its own, so a long copy never delays starts, stops or restarts.
 */
export async function withLogLock<T>(paths: StatePaths, fn: () => T | Promise<T>): Promise<T> {
  const { default: lockfile } = await import('proper-lockfile');
  let release: () => Promise<void>;
  try {
    release = await lockfile.lock(paths.logs, {
      realpath: false,
      stale: STALE_MS,
      update: STALE_MS / 2,
      retries: { retries: 1000, minTimeout: 5, maxTimeout: 60, factor: 1.3, randomize: true },
      onCompromised: () => {},
    });
  } catch (error) {
    throw new LogError(
      `cannot lock the logs of ${paths.home}: ${describeSystemError(error)}; if no other bgrun is running, remove ${paths.logs}.lock`,
      error,
    );
  }
  try {
    return await fn();
  } finally {
    await release().catch(() => {});
  }
}
