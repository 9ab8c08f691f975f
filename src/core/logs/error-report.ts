import fs from 'node:fs';
import { READ_NOFOLLOW } from './read.js';

/** At most this many lines of stderr in a crash report. */
export const REPORT_LINES = 10;
/** A crash report never reads more than this much of a log. */
const REPORT_BYTES = 64 * 1024;

/**
 * The line that names the error: `Error: …`, `TypeError: …`, Python's
 * `ModuleNotFoundError: …`, Java's `java.lang.IllegalStateException: …`, `panic: …`;
 * never indented (stack frames and source lines are).
 */
const ERROR_LINE = /^(?:Uncaught )?(?:[A-Za-z_$][\w$.]*)?(?:Error|Exception)(?: \[[A-Z0-9_]+\])?(?::|$)|^(?:panic|fatal error|FATAL|Fatal error):/;
const STACK_FRAME = /^\s+at\s/;
const CARET = /^\s*\^+\s*$/;

/**
 * The lines of a crash that matter: the error line with the few lines before it
 * that show where (a source line and its caret, a traceback's last frame; Node's
 * own internals left out) and after it (`Require stack:`, the first frame in the
 * program's own code),
 * rather than the tail, which for Node is the stack and `Node.js v20…`. With no
 * error line, the tail.
 */
export function pickErrorLines(all: string[], max = REPORT_LINES): string[] {
  const lines = [...all];
  while (lines.length > 0 && lines[lines.length - 1]!.trim() === '') lines.pop();
  let e = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (ERROR_LINE.test(lines[i]!)) {
      e = i;
      break;
    }
  }
  if (e < 0) return lines.slice(-max);

  const before: string[] = [];
  let b = e - 1;
  if (b >= 0 && lines[b]!.trim() === '') b--;
  if (b >= 2 && CARET.test(lines[b]!)) {
    // Node: "<file>:<line>", the source line, the caret. Shown when the file is the program's, not Node's.
    const where = lines[b - 2]!;
    if (!where.startsWith('node:')) before.push(where, lines[b - 1]!, lines[b]!);
  } else {
    // A traceback or any other block: the lines just before, up to a blank line.
    for (; b >= 0 && before.length < 3 && lines[b]!.trim() !== ''; b--) before.unshift(lines[b]!);
  }

  const after: string[] = [];
  let a = e + 1;
  for (; a < lines.length && lines[a]!.trim() !== '' && !STACK_FRAME.test(lines[a]!) && !/^Node\.js v\d/.test(lines[a]!); a++) {
    after.push(lines[a]!);
  }
  // Of the stack, the first frame in the program's own code says where; Node's internals (node:…) do not.
  for (; a < lines.length && STACK_FRAME.test(lines[a]!); a++) {
    if (!/\(node:|at node:/.test(lines[a]!)) {
      after.push(lines[a]!);
      break;
    }
  }
  const room = Math.max(0, max - 1);
  const keptAfter = after.slice(0, Math.min(after.length, Math.max(room - before.length, Math.ceil(room / 2))));
  const keptBefore = before.slice(Math.max(0, before.length - (room - keptAfter.length)));
  return [...keptBefore, lines[e]!, ...keptAfter];
}

/**
 * The crash report of one run: only what the log got from `from` (its size when
 * the run started) on, so a run that wrote nothing is not shown the last run's
 * stack. A log that shrank meanwhile (rotated, flushed) is read from its start.
 */
export function readErrorReport(file: string, from: number | undefined): string[] {
  let fd: number;
  try {
    fd = fs.openSync(file, READ_NOFOLLOW);
  } catch {
    return [];
  }
  try {
    const size = fs.fstatSync(fd).size;
    let start = from === undefined || from > size ? 0 : from;
    if (from === undefined || size - start > REPORT_BYTES) start = Math.max(start, size - REPORT_BYTES);
    const buf = Buffer.alloc(size - start);
    const read = fs.readSync(fd, buf, 0, buf.length, start);
    let text = buf.subarray(0, read).toString('utf8');
    // Started mid-line (the byte limit): drop the partial first line.
    if (start > 0 && start !== from) text = text.slice(text.indexOf('\n') + 1);
    return pickErrorLines(text.split('\n').map((l) => l.replace(/\r$/, '')));
  } finally {
    fs.closeSync(fd);
  }
}
