import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { execa } from 'execa';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = path.join(ROOT, 'bin', 'bgrun.js');
export const FIXTURES = path.join(ROOT, 'test', 'fixtures');

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

export interface Sandbox {
  /** The BGRUN_HOME of this test only. */
  home: string;
  /** A scratch folder beside it, for files the test makes. */
  dir: string;
  env: Record<string, string>;
  /**
   * Runs bgrun as `node bin/bgrun.js …` (one process less), or with `asCommand` as the installed
   * command runs: bin/bgrun.js executed itself, through its `sh` line, which puts `--` before the script.
   */
  run(args: string[], options?: { env?: Record<string, string>; cwd?: string; timeout?: number; asCommand?: boolean }): Promise<CliResult>;
  record(name: string): Record<string, unknown> & { pid: number | null; status: string; restarts: number };
}

const liveHomes = new Set<string>();

/** Pids of every process whose environment holds BGRUN_HOME=home: what a test started, and only that. */
export function processesOfHome(home: string): number[] {
  const needle = `BGRUN_HOME=${home}\0`;
  const pids: number[] = [];
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const environ = fs.readFileSync(`/proc/${entry}/environ`, 'latin1');
      if (`${environ}\0`.includes(needle)) {
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'latin1');
        if (stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z') pids.push(Number(entry));
      }
    } catch {
      // gone, or not ours to read
    }
  }
  return pids;
}

/**
 * Kills every process started with this state folder, scanning again until a scan finds none: a
 * supervisor can fork a program (a restart, a cron start) between a scan and its own SIGKILL, and
 * that child would outlive a single pass.
 */
export function killHome(home: string): number {
  let killed = 0;
  for (let pass = 0; pass < 50; pass++) {
    const pids = processesOfHome(home);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
        killed++;
      } catch {
        // already gone
      }
    }
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
  return killed;
}

/** Every test gets its own state folder, and everything started with it is killed at the end, pass or fail. */
export function sandbox(t: ExecutionContext): Sandbox {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bgrun-test-'));
  const home = path.join(dir, 'home');
  liveHomes.add(home);
  t.teardown(() => {
    killHome(home);
    liveHomes.delete(home);
    fs.rmSync(dir, { recursive: true, force: true });
  });
  const env: Record<string, string> = { BGRUN_HOME: home, NO_COLOR: '1' };
  return {
    home,
    dir,
    env,
    async run(args, options = {}) {
      const result = await execa(options.asCommand ? BIN : process.execPath, options.asCommand ? args : [BIN, ...args], {
        env: { ...env, ...options.env },
        cwd: options.cwd ?? ROOT,
        reject: false,
        // Generous: on a loaded 2-core machine a start can take many seconds.
        timeout: options.timeout ?? 90_000,
        stdin: 'ignore',
      });
      return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
    },
    record(name) {
      return JSON.parse(fs.readFileSync(path.join(home, 'records', `${name}.json`), 'utf8'));
    },
  };
}

/** Last resort for a test that crashed before its teardown ran. */
export function sweepAll(): void {
  for (const home of liveHomes) killHome(home);
}

export async function waitFor<T>(
  check: () => T | Promise<T>,
  { timeout = 10_000, interval = 25, what = 'condition' } = {},
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeout;
  for (;;) {
    const value = await check();
    if (value) return value as NonNullable<T>;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, interval));
  }
}

/** True while pid exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch {
    return '';
  }
}
