import { createRequire } from 'node:module';
import type { Platform, ProcInfo, Usage } from './platform.js';

/** Processes on macOS (and other systems without /proc), read with one `ps` call each. */

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
    stopped: (stat ?? '').startsWith('T'),
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

function readProcess(pid: number): ProcInfo | null {
  const line = runPs(['-o', PS_FORMAT, '-p', String(pid)]).trim();
  return line ? parsePsLine(line) : null;
}

function listAllProcesses(): ProcInfo[] {
  return runPs(['-A', '-o', PS_FORMAT])
    .split('\n')
    .map(parsePsLine)
    .filter((p): p is ProcInfo => p !== null);
}

function readUsage(pids: number[]): Map<number, Usage> {
  const result = new Map<number, Usage>();
  for (const line of runPs(['-o', 'pid=,%cpu=,rss=', '-p', pids.join(',')]).split('\n')) {
    const [pid, cpu, rss] = line.trim().split(/\s+/);
    if (pid && cpu && rss) result.set(Number(pid), { cpu: Number(cpu), memory: Number(rss) * 1024 });
  }
  return result;
}

function processStartTime(pid: number): number | null {
  const info = readProcess(pid);
  if (!info) return null;
  const ms = Date.parse(info.identity.slice('lstart:'.length));
  return Number.isNaN(ms) ? null : ms;
}

function readCommandLine(pid: number): string[] | null {
  const line = runPs(['-o', 'args=', '-p', String(pid)]).trim();
  return line ? [line] : null;
}

function readProcessUid(pid: number): number | null {
  const line = runPs(['-o', 'ruid=', '-p', String(pid)]).trim();
  return line ? Number(line) : null;
}

export const darwin: Platform = {
  readCommandLine,
  readProcessUid,
  readProcess,
  readChildren: () => null,
  listAllProcesses,
  readUsage,
  processStartTime,
  withSnapshot: (fn) => fn(),
};
