import fs from 'node:fs';
import { createRequire } from 'node:module';

// The CLI writes its output with fs.writeSync rather than process.stdout: the first touch of
// process.stdout builds Node's stream machinery (net, streams, tty), ~3 ms of a command that
// takes ~40 (a tenth of `node -e 0`). Writes are synchronous, as process.stdout's are on
// Linux for files, pipes and terminals, so output order and exit behave the same.

const pause = new Int32Array(new SharedArrayBuffer(4));

/** Where a command writes; the CLI gives it the process streams, tests may give others. */
export interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  /** Colours only on a terminal and never with NO_COLOR. */
  color: boolean;
}

/**
 * Writes all of `text` to fd. A pipe left non-blocking by another process says EAGAIN when
 * full: wait a little and go on, as a blocking write would. Other errors are thrown.
 */
export function writeAll(fd: number, text: string): void {
  const buffer = Buffer.from(text);
  let offset = 0;
  while (offset < buffer.length) {
    try {
      offset += fs.writeSync(fd, buffer, offset);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EAGAIN') throw error;
      Atomics.wait(pause, 0, 0, 5);
    }
  }
}

/**
 * A line to stdout. `bgrun list | head` closes the pipe early: that ends the command quietly,
 * not in an error. A reader gone from a socket pair (how Node parents connect a child's stdout)
 * can say ECONNRESET instead of EPIPE.
 */
export function writeOut(line: string): void {
  try {
    writeAll(1, `${line}\n`);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE' || code === 'ECONNRESET') process.exit(0);
    throw error;
  }
}

/** A line to stderr; if stderr itself is gone there is no one left to tell. */
export function writeErr(line: string): void {
  try {
    writeAll(2, `${line}\n`);
  } catch {
    // nowhere to report it
  }
}

/** Whether fd is a terminal; a file or a pipe is told apart with one fstat, without loading node:tty. */
export function isTerminal(fd: number): boolean {
  try {
    if (!fs.fstatSync(fd).isCharacterDevice()) return false;
  } catch {
    return false;
  }
  const { isatty } = createRequire(import.meta.url)('node:tty') as typeof import('node:tty');
  return isatty(fd);
}
