import fs from 'node:fs';

/**
 * What the launch shell runs: `sh` writes its own pid to the pidfile and then execs
 * the program, which keeps that pid: so the pidfile exists even if bgrun is killed
 * right after the fork, and the pid is the program's own, not a wrapper's. No user
 * text reaches the shell as code: the program and its arguments are passed as "$@".
 * Spawned as `/bin/sh -c PIDFILE_THEN_EXEC <pidfile> <command...>`.
 */
export const PIDFILE_THEN_EXEC = 'echo $$ >"$0" && exec "$@"';

/** Truncates (or creates, 0600) the pidfile, so a non-empty one was written by this launch. */
export function resetPidFile(file: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
  fs.closeSync(fd);
}

/**
 * When an empty pidfile was reset (its mtime), or null when it is missing, not empty or
 * not the user's own: a launch resets it right before its fork, so a fresh empty one
 * means the launch shell may still write its pid.
 */
export function emptyPidFileResetAt(file: string): number | null {
  try {
    const st = fs.lstatSync(file);
    const uid = process.getuid?.();
    return st.isFile() && st.size === 0 && (uid === undefined || st.uid === uid) ? st.mtimeMs : null;
  } catch {
    return null;
  }
}

/** Reads a pidfile written by a launch; null while it is still empty. */
export function readPidFile(file: string): number | null {
  return readPidFileStamped(file)?.pid ?? null;
}

/**
 * The pid in a pidfile and when it was written (its mtime). A pidfile that is a
 * link, or not owned by the user running bgrun, is not read.
 */
export function readPidFileStamped(file: string): { pid: number; writtenAt: number } | null {
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
  } catch {
    return null;
  }
  try {
    const st = fs.fstatSync(fd);
    const uid = process.getuid?.();
    if (!st.isFile() || (uid !== undefined && st.uid !== uid)) return null;
    const buffer = Buffer.alloc(32);
    const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
    const text = buffer.toString('latin1', 0, n);
    if (!/^\d+\n?$/.test(text)) return null;
    const pid = Number.parseInt(text, 10);
    return Number.isInteger(pid) && pid > 0 ? { pid, writtenAt: st.mtimeMs } : null;
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}
