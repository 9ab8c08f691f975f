// Running timed commands and reading /proc (Linux only) for the benchmark.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

/** Wall-clock time in ms since the epoch, sub-millisecond; comparable across processes. */
export const now = () => performance.timeOrigin + performance.now();

/** @param {number} ms */
export const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let blocked = false;

/** After an interrupt: refuse to start anything but cleanup commands. */
export function blockNewRuns() {
  blocked = true;
}

/**
 * @typedef {object} RunOptions
 * @property {NodeJS.ProcessEnv} [env]
 * @property {string} [cwd]
 * @property {number} [timeoutMs]  SIGKILL after this long (default 2 minutes)
 * @property {boolean} [cleanup]   still allowed after blockNewRuns()
 */

/**
 * @typedef {object} RunResult
 * @property {number} ms        from just before spawn to the process's exit
 * @property {number} t0        epoch ms just before spawn
 * @property {number} t1        epoch ms at exit
 * @property {number | null} code
 * @property {string | null} signal
 * @property {string} stdout
 * @property {string} stderr
 */

/**
 * Runs argv[0] with argv[1..] and times it until it exits. The output is read
 * through pipes (so a command that prints a lot pays for it, as in a terminal).
 * A command whose daemon keeps the pipes open is not waited for beyond its exit.
 * @param {string[]} argv
 * @param {RunOptions} [options]
 * @returns {Promise<RunResult>}
 */
export function run(argv, options = {}) {
  if (blocked && !options.cleanup) return Promise.reject(new Error('interrupted'));
  return new Promise((resolve, reject) => {
    const t0 = now();
    const child = spawn(argv[0], argv.slice(1), {
      env: options.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    /** @type {Buffer[]} */
    const out = [];
    /** @type {Buffer[]} */
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => err.push(d));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('exit', (code, signal) => {
      const t1 = now();
      clearTimeout(timer);
      let settled = false;
      const finish = () => {
        if (settled) return;
        settled = true;
        child.stdout.destroy();
        child.stderr.destroy();
        resolve({
          ms: t1 - t0,
          t0,
          t1,
          code,
          signal,
          stdout: Buffer.concat(out).toString('utf8'),
          stderr: Buffer.concat(err).toString('utf8'),
        });
      };
      // Normally 'close' follows at once; a detached daemon holding the pipes must not stall us.
      child.once('close', finish);
      setTimeout(finish, 2000).unref();
    });
  });
}

/**
 * Like run(), but throws with the command's stderr when it fails.
 * @param {string[]} argv
 * @param {RunOptions} [options]
 * @returns {Promise<RunResult>}
 */
export async function runOk(argv, options = {}) {
  const r = await run(argv, options);
  if (r.code !== 0) {
    const tail = (r.stderr || r.stdout).trim().split('\n').slice(-8).join('\n');
    throw new Error(`${argv.slice(1).join(' ')} failed (exit ${r.code ?? r.signal}):\n${tail}`);
  }
  return r;
}

/**
 * Polls until fn() returns a truthy value; returns it, or undefined after timeoutMs.
 * @template T
 * @param {() => T} fn
 * @param {number} timeoutMs
 * @param {number} [everyMs]
 * @returns {Promise<T | undefined>}
 */
export async function waitFor(fn, timeoutMs, everyMs = 5) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = fn();
    if (value) return value;
    if (Date.now() > deadline) return undefined;
    await sleep(everyMs);
  }
}

/**
 * Runs the tasks with at most `limit` at once.
 * @template T
 * @param {number} limit
 * @param {(() => Promise<T>)[]} tasks
 * @returns {Promise<T[]>}
 */
export async function pool(limit, tasks) {
  /** @type {T[]} */
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

/**
 * @param {string} file
 * @returns {string | null}
 */
function readOrNull(file) {
  try {
    return fs.readFileSync(file, 'latin1');
  } catch {
    return null;
  }
}

/**
 * The state letter of /proc/<pid>/stat, or null when there is no such process.
 * @param {number} pid
 * @returns {string | null}
 */
export function procState(pid) {
  const stat = readOrNull(`/proc/${pid}/stat`);
  if (stat === null) return null;
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/**
 * True while pid is a live process (a zombie counts as gone).
 * @param {number} pid
 */
export function isAlive(pid) {
  const state = procState(pid);
  return state !== null && state !== 'Z' && state !== 'X';
}

/**
 * Resident memory of a process from /proc/<pid>/status, in bytes: VmRSS, and
 * RssAnon (its private part: what it really costs beyond the shared code pages).
 * @param {number} pid
 * @returns {{ rss: number, anon: number } | null}
 */
export function memoryOf(pid) {
  const status = readOrNull(`/proc/${pid}/status`);
  if (status === null) return null;
  const kb = (key) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), anon: kb('RssAnon') };
}

/**
 * @typedef {object} ProcEntry
 * @property {number} pid
 * @property {string} cmdline   arguments joined by spaces
 * @property {string} environ   NUL-separated, with a NUL at both ends
 */

/**
 * Every live process except this one, with its command line and environment.
 * @returns {ProcEntry[]}
 */
export function allProcesses() {
  /** @type {ProcEntry[]} */
  const out = [];
  for (const entry of fs.readdirSync('/proc')) {
    const c = entry.charCodeAt(0);
    if (c < 48 || c > 57) continue;
    const pid = Number(entry);
    if (pid === process.pid || !isAlive(pid)) continue;
    const environ = readOrNull(`/proc/${pid}/environ`);
    const cmdline = readOrNull(`/proc/${pid}/cmdline`);
    if (environ === null || cmdline === null) continue;
    out.push({ pid, cmdline: cmdline.split('\0').join(' ').trim(), environ: `\0${environ}` });
  }
  return out;
}

/**
 * Pids of live processes whose environment holds KEY=VALUE exactly.
 * @param {string} key
 * @param {string} value
 * @param {ProcEntry[]} [procs]
 * @returns {ProcEntry[]}
 */
export function withEnv(key, value, procs = allProcesses()) {
  const needle = `\0${key}=${value}\0`;
  return procs.filter((p) => `${p.environ}\0`.includes(needle));
}

/**
 * Sends a signal to each pid; never by name.
 * @param {number[]} pids
 * @param {NodeJS.Signals} [signal]
 */
export function killPids(pids, signal = 'SIGKILL') {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Facts about this machine for the report. */
export function machine() {
  const cpuinfo = readOrNull('/proc/cpuinfo') ?? '';
  const meminfo = readOrNull('/proc/meminfo') ?? '';
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(meminfo)?.[1] ?? 0);
  return {
    cpu: model,
    cores: (cpuinfo.match(/^processor\s*:/gm) ?? []).length,
    memory: `${(memKb / 1024 / 1024).toFixed(1)} GiB`,
    kernel: (readOrNull('/proc/sys/kernel/osrelease') ?? 'unknown').trim(),
    os: /^PRETTY_NAME="?([^"\n]+)"?/m.exec(readOrNull('/etc/os-release') ?? '')?.[1] ?? 'unknown',
    node: process.version,
  };
}

/** The machine's CPU counters from /proc/stat: time busy and in total, in clock ticks. */
export function cpuTicks() {
  const fields = (readOrNull('/proc/stat') ?? '').split('\n')[0].trim().split(/\s+/).slice(1, 9).map(Number);
  const total = fields.reduce((a, b) => a + b, 0);
  // idle and iowait are the two fields that are not work.
  return { busy: total - fields[3] - fields[4], total };
}

/**
 * How busy the machine was between two cpuTicks() readings, as a share of all its cores (0–1).
 * @param {{ busy: number, total: number }} from
 * @param {{ busy: number, total: number }} to
 */
export function busyShare(from, to) {
  const total = to.total - from.total;
  return total > 0 ? (to.busy - from.busy) / total : 0;
}
