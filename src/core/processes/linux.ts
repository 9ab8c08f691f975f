import fs from 'node:fs';
import type { Platform, ProcInfo, Usage } from './platform.js';

/** Processes on Linux, read from /proc: no `ps` to spawn. */

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

function withSnapshot<T>(fn: () => T): T {
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

function readProcess(pid: number): ProcInfo | null {
  const f = readStatFields(pid);
  if (!f) return null;
  const state = f[0] ?? '';
  return {
    pid,
    ppid: Number(f[1]),
    pgid: Number(f[2]),
    sid: Number(f[3]),
    dead: state === 'Z' || state === 'X' || state === 'x',
    stopped: state === 'T' || state === 't',
    identity: `${readBootId()}:${f[19]}`,
  };
}

/**
 * The children of `pid` from /proc/<pid>/task/<tid>/children (Linux 3.5+), which
 * costs a few reads instead of a scan of every process; null where unavailable.
 */
function readChildren(pid: number): number[] | null {
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

function listAllProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const info = readProcess(Number(entry));
    if (info) out.push(info);
  }
  return out;
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

function readUsage(pids: number[]): Map<number, Usage> {
  const result = new Map<number, Usage>();
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

let bootTimeMs: number | undefined;

function processStartTime(pid: number): number | null {
  const f = readStatFields(pid);
  if (!f) return null;
  if (bootTimeMs === undefined) {
    const btime = /^btime (\d+)$/m.exec(fs.readFileSync('/proc/stat', 'utf8'));
    bootTimeMs = btime ? Number(btime[1]) * 1000 : 0;
  }
  return bootTimeMs + (Number(f[19]) * 1000) / CLK_TCK;
}

function readCommandLine(pid: number): string[] | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch {
    return null;
  }
  if (text === '') return null; // a kernel thread, or a zombie
  return (text.endsWith('\0') ? text.slice(0, -1) : text).split('\0');
}

function readProcessUid(pid: number): number | null {
  const status = readSmallFile(`/proc/${pid}/status`);
  const uid = status === null ? null : /^Uid:\s+(\d+)/m.exec(status);
  return uid ? Number(uid[1]) : null;
}

export const linux: Platform = {
  readProcess,
  readChildren,
  listAllProcesses,
  readUsage,
  processStartTime,
  readCommandLine,
  readProcessUid,
  withSnapshot,
};
