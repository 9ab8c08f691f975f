import { darwin } from './darwin.js';
import { linux } from './linux.js';
import type { Platform, ProcInfo, Usage } from './platform.js';

/**
 * What bgrun needs to know of a pid: read from /proc on Linux (linux.ts, no `ps` to spawn)
 * and from one `ps` call elsewhere (darwin.ts). The platform is chosen once, here.
 */
export type { ProcInfo, Usage };

const platform: Platform = process.platform === 'linux' ? linux : darwin;

/**
 * Runs `fn` with /proc reads of a pid shared within it. Only for read-only
 * listing: never around code that signals, which must see the live state.
 */
export function withProcessSnapshot<T>(fn: () => T): T {
  return platform.withSnapshot(fn);
}

/** Info of one pid, or null when no such process exists. */
export function readProcess(pid: number): ProcInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return platform.readProcess(pid);
}

/** The fingerprint to record right after spawning `pid`. */
export function processIdentity(pid: number): string | null {
  const info = readProcess(pid);
  return info && !info.dead ? info.identity : null;
}

/** True while `pid` is the very process that had `identity`, and not a zombie. */
export function isSameProcessAlive(pid: number | null, identity: string | null): boolean {
  if (pid === null || identity === null) return false;
  const info = readProcess(pid);
  return info !== null && !info.dead && info.identity === identity;
}

/**
 * False once no process has `pid` (kill(pid, 0) says ESRCH): one system call, no /proc
 * read, for a first look at many processes. A zombie or a reused pid still passes;
 * isSameProcessAlive is the full answer.
 */
export function pidExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * The children of `pid` (Linux: /proc/<pid>/task/<tid>/children, a few reads instead of
 * a scan of every process); null where unavailable.
 */
export function readChildren(pid: number): number[] | null {
  return platform.readChildren(pid);
}

/** Every process visible to us; used to find the descendants of a program before signalling. */
export function listAllProcesses(): ProcInfo[] {
  return platform.listAllProcesses();
}

/** cpu and memory of many pids at once (one `ps` call off Linux). */
export function readUsage(pids: number[]): Map<number, Usage> {
  if (pids.length === 0) return new Map();
  return platform.readUsage(pids);
}

/** When `pid` started, in ms since the epoch (for recognising a program launched by an interrupted bgrun). */
export function processStartTime(pid: number): number | null {
  return platform.processStartTime(pid);
}

/**
 * The argument vector of `pid` as the kernel has it (/proc/<pid>/cmdline; `ps -o args=`
 * elsewhere, as one string); null when there is no such process or it cannot be read.
 */
export function readCommandLine(pid: number): string[] | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return platform.readCommandLine(pid);
}

/** The real user id `pid` runs as; null when there is no such process. */
export function readProcessUid(pid: number): number | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return platform.readProcessUid(pid);
}
