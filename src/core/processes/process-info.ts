import fs from 'node:fs';
import { createRequire } from 'node:module';

/**
 * What bgrun needs to know of a pid, read from /proc on Linux (no `ps` to spawn)
 * and from one `ps` call elsewhere.
 */
export interface ProcInfo {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** Zombies and dead tasks count as gone: `kill(pid, 0)` alone would say they live. */
  dead: boolean;
  /** Start-time fingerprint: the same pid with another identity is another process. */
  identity: string;
}

const LINUX = process.platform === 'linux';
const CLK_TCK = 100; // USER_HZ: 100 on every Linux architecture Node runs on.
const PAGE_SIZE = 4096;

let bootId: string | undefined;
function readBootId(): string {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
    } catch {
      bootId = 'noboot';
    }
  }
  return bootId;
}

/** One buffer for every /proc read: scanning all processes must not churn the garbage collector. */
const statBuffer = Buffer.allocUnsafe(4096);

function readSmallFile(file: string): string | null {
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
  } catch {
    return null;
  }
  try {
    const n = fs.readSync(fd, statBuffer, 0, statBuffer.length, 0);
    return statBuffer.toString('latin1', 0, n);
  } catch {
    return null;
  } finally {
    fs.closeSync(fd);
  }
}

/** While set, each pid's stat is read once: a listing asks for liveness and usage of the same pids. */
let snapshot: Map<number, string[] | null> | null = null;

/**
 * Runs `fn` with /proc reads of a pid shared within it. Only for read-only
 * listing: never around code that signals, which must see the live state.
 */
export function withProcessSnapshot<T>(fn: () => T): T {
  snapshot = new Map();
  try {
    return fn();
  } finally {
    snapshot = null;
  }
}

function readStatFields(pid: number): string[] | null {
  if (snapshot) {
    if (!snapshot.has(pid)) snapshot.set(pid, readStatFieldsNow(pid));
    return snapshot.get(pid)!;
  }
  return readStatFieldsNow(pid);
}

/** Fields of /proc/<pid>/stat after the command name, which may itself hold spaces and parentheses. */
function readStatFieldsNow(pid: number): string[] | null {
  const text = readSmallFile(`/proc/${pid}/stat`);
  if (text === null) return null;
  const close = text.lastIndexOf(')');
  if (close < 0) return null;
  // fields[0] is field 3 of proc(5) (state), so field N is fields[N - 3]. Nothing past rss
  // (field 24) is read: a listing splits one line per program, and the other fields would
  // be allocated for nothing.
  return text.slice(close + 2).split(' ', 22);
}

function linuxInfo(pid: number): ProcInfo | null {
  const f = readStatFields(pid);
  if (!f) return null;
  const state = f[0] ?? '';
  return {
    pid,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    dead: state === 'Z' || state === 'X' || state === 'x',
    identity: `${readBootId()}:${f[19]}`,
  };
}

function parsePsLine(line: string): ProcInfo | null {
  // pid ppid pgid stat lstart(5 words)
  const parts = line.trim().split(/\s+/);
  if (parts.length < 9) return null;
  const [pid, ppid, pgid, stat, ...lstart] = parts;
  return {
    pid: Number(pid),
    ppid: Number(ppid),
    pgid: Number(pgid),
    sid: Number.NaN,
    dead: (stat ?? '').startsWith('Z'),
    identity: `lstart:${lstart.join(' ')}`,
  };
}

/** Loaded only off Linux: node:child_process alone costs more than a whole `bgrun list` on Linux. */
function runPs(args: string[]): string {
  const { execFileSync } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
  try {
    return execFileSync('ps', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, LC_ALL: 'C' } });
  } catch (error) {
    // ps exits 1 when no pid matched; its output is still what we want.
    return String((error as { stdout?: string }).stdout ?? '');
  }
}

const PS_FORMAT = 'pid=,ppid=,pgid=,stat=,lstart=';

/** Info of one pid, or null when no such process exists. */
export function readProcess(pid: number): ProcInfo | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  if (LINUX) return linuxInfo(pid);
  const line = runPs(['-o', PS_FORMAT, '-p', String(pid)]).trim();
  return line ? parsePsLine(line) : null;
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
 * The children of `pid` from /proc/<pid>/task/<tid>/children (Linux 3.5+), which
 * costs a few reads instead of a scan of every process; null where unavailable.
 */
export function readChildren(pid: number): number[] | null {
  if (!LINUX) return null;
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const children: number[] = [];
  for (const tid of tasks) {
    const text = readSmallFile(`/proc/${pid}/task/${tid}/children`);
    if (text === null) {
      if (!fs.existsSync(`/proc/${pid}/task/${tid}`)) continue;
      return null; // no CONFIG_PROC_CHILDREN
    }
    for (const word of text.split(' ')) if (word) children.push(Number(word));
  }
  return children;
}

/** Every process visible to us; used to find the descendants of a program before signalling. */
export function listAllProcesses(): ProcInfo[] {
  if (LINUX) {
    const out: ProcInfo[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      const c = entry.charCodeAt(0);
      if (c < 48 || c > 57) continue;
      const info = linuxInfo(Number(entry));
      if (info) out.push(info);
    }
    return out;
  }
  return runPs(['-A', '-o', PS_FORMAT])
    .split('\n')
    .map(parsePsLine)
    .filter((p): p is ProcInfo => p !== null);
}

export interface Usage {
  /** Percent of one core, averaged over the process lifetime (as `ps` shows it). */
  cpu: number;
  /** Resident memory in bytes. */
  memory: number;
}

let uptimeCache: { at: number; seconds: number } | undefined;
function systemUptime(): number {
  const now = Date.now();
  if (!uptimeCache || now - uptimeCache.at > 1000) {
    const seconds = Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
    uptimeCache = { at: now, seconds };
  }
  return uptimeCache.seconds;
}

/** cpu and memory of many pids at once (one `ps` call off Linux). */
export function readUsage(pids: number[]): Map<number, Usage> {
  const result = new Map<number, Usage>();
  if (pids.length === 0) return result;
  if (LINUX) {
    for (const pid of pids) {
      const f = readStatFields(pid);
      if (!f) continue;
      const cpuSeconds = (Number(f[11]) + Number(f[12])) / CLK_TCK;
      const elapsed = systemUptime() - Number(f[19]) / CLK_TCK;
      result.set(pid, {
        cpu: elapsed > 0 ? Math.min(100 * 64, (100 * cpuSeconds) / elapsed) : 0,
        memory: Number(f[21]) * PAGE_SIZE,
      });
    }
    return result;
  }
  for (const line of runPs(['-o', 'pid=,%cpu=,rss=', '-p', pids.join(',')]).split('\n')) {
    const [pid, cpu, rss] = line.trim().split(/\s+/);
    if (pid && cpu && rss) result.set(Number(pid), { cpu: Number(cpu), memory: Number(rss) * 1024 });
  }
  return result;
}

let bootTimeMs: number | undefined;

/** When `pid` started, in ms since the epoch (for recognising a program launched by an interrupted bgrun). */
export function processStartTime(pid: number): number | null {
  if (LINUX) {
    const f = readStatFields(pid);
    if (!f) return null;
    if (bootTimeMs === undefined) {
      const btime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
      bootTimeMs = btime ? Number(btime[1]) * 1000 : 0;
    }
    return bootTimeMs + (Number(f[19]) * 1000) / CLK_TCK;
  }
  const info = readProcess(pid);
  if (!info) return null;
  const ms = Date.parse(info.identity.slice('lstart:'.length));
  return Number.isNaN(ms) ? null : ms;
}
