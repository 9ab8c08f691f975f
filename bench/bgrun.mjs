// bgrun itself (through its CLI, as a user runs it) and the plain shell baseline.
import fs from 'node:fs';
import path from 'node:path';
import { allProcesses, run, runOk, withEnv } from './proc.mjs';
import { Tool } from './tool.mjs';

/**
 * bgrun through `node bin/bgrun.js`, with a BGRUN_HOME of its own.
 */
export class Bgrun extends Tool {
  /**
   * @param {string} repo     the repository root (bin/bgrun.js lives there)
   * @param {string} home     its BGRUN_HOME
   * @param {NodeJS.ProcessEnv} baseEnv
   * @param {string} [entry]  the CLI file to run (default bin/bgrun.js; e.g. the esbuild bundle)
   */
  constructor(repo, home, baseEnv, entry) {
    super(entry ?? path.join(repo, 'bin', 'bgrun.js'), { ...baseEnv, BGRUN_HOME: home });
    this.home = home;
  }

  /**
   * argv of `bgrun start` for one program.
   * @param {string} name
   * @param {string} script
   * @param {string[]} args
   * @param {{ wait?: string, restart?: string }} [options]
   */
  startArgv(name, script, args, options = {}) {
    const extra = [];
    if (options.wait !== undefined) extra.push('--wait', options.wait);
    if (options.restart !== undefined) extra.push('--restart', options.restart);
    return this.argv('start', '--name', name, ...extra, script, ...args);
  }

  /** @returns {Promise<{ name: string, pid: number | null, status: string }[]>} */
  async listJson() {
    const r = await this.runOk('list', '--json');
    return JSON.parse(r.stdout);
  }

  /** True when this build has supervised mode (`start --restart`). */
  async hasSupervisor() {
    const r = await this.run('start', '--help');
    return /--restart\b/.test(r.stdout);
  }

  /** The supervisor's pid: from supervisor.json, else the process that looks like it. */
  supervisorPid() {
    try {
      const pid = Number(JSON.parse(fs.readFileSync(path.join(this.home, 'supervisor.json'), 'utf8')).pid);
      if (Number.isInteger(pid) && pid > 0) return pid;
    } catch {
      // not written (yet), or another layout
    }
    return withEnv('BGRUN_HOME', this.home).find((p) => p.cmdline.includes('supervisor'))?.pid ?? null;
  }

  /**
   * bgrun's own processes still alive for this home (the supervisor when there is
   * one; nothing at all in plain mode): every process with this BGRUN_HOME that is
   * not one of the benchmark's programs.
   * @param {string} fixturesDir
   */
  residentPids(fixturesDir) {
    return withEnv('BGRUN_HOME', this.home, allProcesses())
      .filter((p) => !p.cmdline.includes(fixturesDir) && !p.cmdline.startsWith('sleep'))
      .map((p) => p.pid);
  }

  /** Stops everything of this home (cleanup). */
  async stopAll() {
    await this.runCleanup(['stop', 'all', '--timeout', '3s'], 120_000);
  }

  async version() {
    return (await this.runOk('--version')).stdout.trim();
  }
}

/**
 * The baseline: `setsid nohup <program> >>out 2>>err </dev/null &` from sh, and `kill`.
 */
export class Shell {
  /**
   * @param {NodeJS.ProcessEnv} baseEnv
   */
  constructor(baseEnv) {
    this.env = baseEnv;
  }

  /**
   * Starts the program detached, its output appended to files; timed like the others.
   * @param {string[]} command
   * @param {string} out
   * @param {string} err
   */
  start(command, out, err) {
    return run(['/bin/sh', '-c', 'setsid nohup "$@" >>"$BENCH_OUT" 2>>"$BENCH_ERR" </dev/null &', 'sh', ...command], {
      env: { ...this.env, BENCH_OUT: out, BENCH_ERR: err },
    });
  }

  /**
   * `kill -TERM -- -<pgid>` (the program leads its own group after setsid), then
   * waits, in the shell, until the program itself is gone.
   * @param {number} pid
   */
  stop(pid) {
    const script =
      'kill -s TERM -- -"$1" 2>/dev/null || kill -s TERM "$1"; ' +
      'while [ -e /proc/"$1" ] && [ "$(cut -d")" -f2 /proc/"$1"/stat 2>/dev/null | cut -c2)" != Z ]; do sleep 0.01; done';
    return run(['/bin/sh', '-c', script, 'sh', String(pid)], { env: this.env });
  }

  async version() {
    return (await runOk(['setsid', '--version'])).stdout.trim().split('\n')[0];
  }
}
