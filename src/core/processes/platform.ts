/**
 * What bgrun needs to know of a pid, and the per-platform readers of it
 * (linux.ts from /proc, darwin.ts from `ps`). process-info.ts picks one.
 */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Zombies and dead tasks count as gone: `kill(pid, 0)` alone would say they live. */
  dead: boolean;
  /** Stopped by a signal (SIGSTOP, a debugger): alive, but doing nothing until resumed. */
  stopped?: boolean;
  /** Start-time fingerprint: the same pid with another identity is another process. */
  identity: string;
}

export interface Usage {
  /** Percent of one core, averaged over the process lifetime (as `ps` shows it). */
  cpu: number;
  /** Resident memory in bytes. */
  memory: number;
}

/** One platform's way of reading processes. */
export interface Platform {
  /** Info of one pid (already checked to be a positive integer), or null when no such process exists. */
  readProcess(pid: number): ProcInfo | null;
  /** The children of `pid`, or null where the platform cannot list them cheaply. */
  readChildren(pid: number): number[] | null;
  /** Every process visible to us. */
  listAllProcesses(): ProcInfo[];
  /** cpu and memory of many pids at once. */
  readUsage(pids: number[]): Map<number, Usage>;
  /** When `pid` started, in ms since the epoch, or null when it is gone. */
  processStartTime(pid: number): number | null;
  /** The argument vector of `pid` (one joined string where only that is known), or null when it is gone. */
  readCommandLine(pid: number): string[] | null;
  /** The real user id `pid` runs as, or null when it is gone. */
  readProcessUid(pid: number): number | null;
  /** Runs `fn` with reads of a pid shared within it (a no-op where reads are not cached). */
  withSnapshot<T>(fn: () => T): T;
}
