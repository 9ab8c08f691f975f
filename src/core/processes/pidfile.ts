import fs from 'node:fs';

/** Truncates (or creates, 0600) the pidfile, so a non-empty one was written by this launch. */
export function resetPidFile(file: string): void {
  const fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_TRUNC | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
  fs.closeSync(fd);
}

/** Reads a pidfile written by a launch; null while it is still empty. */
export function readPidFile(file: string): number | null {
  try {
    const pid = Number.parseInt(fs.readFileSync(file, 'utf8'), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}
