import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import type { ExecutionContext } from 'ava';
import { type Sandbox, readText, waitFor } from './bgrun.js';

/** The fields of /proc/<pid>/stat a test looks at; null when there is no such process. */
export interface Stat {
  state: string;
  ppid: number;
  pgid: number;
  sid: number;
  /** Controlling terminal; 0 when there is none. */
  ttyNr: number;
  starttime: string;
}

export function procStat(pid: number): Stat | null {
  let text: string;
  try {
    text = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return null;
  }
  // Field 2 (the command) may hold spaces and parentheses: split after the last ')'.
  const f = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: f[0]!, ppid: Number(f[1]), pgid: Number(f[2]), sid: Number(f[3]), ttyNr: Number(f[4]), starttime: f[19]! };
}

/** The identity bgrun records for a pid: boot id and start time. */
export function identityOf(pid: number): string {
  const boot = fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  return `${boot}:${procStat(pid)!.starttime}`;
}

export function fdTarget(pid: number, fd: number): string {
  return fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
}

/** The environment of a pid as a map. */
export function environOf(pid: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const entry of fs.readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0')) {
    const eq = entry.indexOf('=');
    if (eq > 0) env[entry.slice(0, eq)] = entry.slice(eq + 1);
  }
  return env;
}

/** The environment of the test without any BGRUN_HOME, for processes that must not look like bgrun's. */
export function strangerEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && k !== 'BGRUN_HOME') env[k] = v;
  return env;
}

/** Starts a process the test owns directly (not through bgrun) and kills it by pid at teardown. */
export function spawnOwn(t: ExecutionContext, command: string, args: string[], options: { stdout?: 'pipe' | 'ignore' } = {}): ChildProcess {
  const child = spawn(command, args, { env: strangerEnv(), stdio: ['ignore', options.stdout ?? 'ignore', 'ignore'] });
  t.teardown(() => {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  });
  return child;
}

/** Waits until the file holds a match of `pattern` and returns the match (generous deadline: the machine may be loaded). */
export async function waitForMatch(file: string, pattern: RegExp, what = String(pattern)): Promise<RegExpMatchArray> {
  return waitFor(() => readText(file).match(pattern), { what: `${what} in ${file}`, timeout: 30_000 });
}

export interface Started {
  name: string;
  pid: number;
  status: string;
  outLog: string;
  errLog: string;
  pidFile: string;
  [key: string]: unknown;
}

/** `bgrun start --json <args>`, which must succeed; returns what it printed. */
export async function startJson(t: ExecutionContext, box: Sandbox, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Started> {
  const result = await box.run(['start', '--json', ...args], options);
  t.is(result.exitCode, 0, result.stderr);
  if (result.exitCode !== 0) throw new Error(`bgrun start failed: ${result.stderr}`);
  return JSON.parse(result.stdout) as Started;
}

/** `bgrun list --json`, which must succeed. */
export async function listJson(box: Sandbox): Promise<Record<string, unknown>[]> {
  const result = await box.run(['list', '--json']);
  if (result.exitCode !== 0) throw new Error(`bgrun list failed (${result.exitCode}): ${result.stderr}`);
  return JSON.parse(result.stdout) as Record<string, unknown>[];
}

/** The first line of stderr: where the CLI puts its one-line error. */
export function firstLine(text: string): string {
  return text.split('\n')[0] ?? '';
}

/** Runs bgrun, which must succeed; a failure shows its stderr. */
export async function runOk(t: ExecutionContext, box: Sandbox, args: string[]): Promise<{ stdout: string; stderr: string }> {
  const result = await box.run(args);
  t.is(result.exitCode, 0, `bgrun ${args.join(' ')}: ${result.stderr}`);
  return result;
}

/** Deadline for waitFor in integration tests: generous, since other work may load the machine. */
export const LONG = 30_000;

/**
 * Starts a process of the test's own at exactly `pid` (a reused pid), through
 * /proc/sys/kernel/ns_last_pid; null where that cannot be done (not root, or
 * other processes keep taking the pid first).
 */
export async function spawnOwnAtPid(t: ExecutionContext, pid: number, command: string, args: string[]): Promise<ChildProcess | null> {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      fs.writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
    } catch {
      return null;
    }
    const child = spawnOwn(t, command, args);
    if (child.pid === pid) return child;
    child.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  return null;
}
