import fs from 'node:fs';
import path from 'node:path';
import { PIDFILE_THEN_EXEC, readPidFileStamped } from './pidfile.js';
import { isSameProcessAlive, listAllProcesses, processIdentity, processStartTime, readCommandLine, readProcess, readProcessUid } from './process-info.js';

/**
 * Never signal the wrong process: the one place where bgrun decides that a pid
 * is still the process it means. Every signal bgrun sends goes through
 * `signalIfSame` or `signalGroupIfSame` below, right before `kill(2)`; nothing
 * else in the code calls `process.kill` with a signal (docs/security.md).
 *
 * What is trusted, and why:
 * - A pid alone is not an identity: pids are reused. A process is named by its pid
 *   and the identity taken when bgrun spawned it (start time since boot, with the
 *   boot id; `ps -o lstart=` off Linux). The same pid with another start time is
 *   another process, and a zombie is dead.
 * - Records are trusted to name a pid and an identity because only the user running
 *   bgrun can write the state folder (core/paths.ts refuses any other folder).
 * - A pid that bgrun did not record itself is checked further before it is believed:
 *   a pidfile (`claimFromPidFile`) and supervisor.json (`isOurSupervisor`) must name a
 *   process of this user, running what was launched, started when it was launched.
 */

/** A process bgrun means to signal: a pid and the identity it recorded for it. */
export interface KnownProcess {
  pid: number;
  identity: string | null;
}

/** The check before every signal: `pid` is still the very process that had `identity`, and not a zombie. */
export function isSameProcess(known: KnownProcess): boolean {
  return isSameProcessAlive(known.pid, known.identity);
}

/**
 * Sends `signal` to the process only if it is still the one bgrun means; false
 * when it is gone, is another process now, or the signal could not be sent.
 */
export function signalIfSame(known: KnownProcess, signal: NodeJS.Signals): boolean {
  if (!isSameProcess(known)) return false;
  try {
    process.kill(known.pid, signal);
    return true;
  } catch {
    return false;
  }
}

/**
 * Sends `signal` to process group `pgid` only while `member`, a verified member of
 * it, lives and is still in it: a group id cannot be reused while the group has a
 * member, so the group is then the one bgrun means.
 */
export function signalGroupIfSame(pgid: number, member: KnownProcess, signal: NodeJS.Signals): boolean {
  // One read for both checks: `stop all` makes this check for every program it stops.
  const info = member.identity === null ? null : readProcess(member.pid);
  if (!info || info.dead || info.identity !== member.identity || info.pgid !== pgid) return false;
  try {
    process.kill(-pgid, signal);
    return true;
  } catch {
    return false;
  }
}

/** How far apart two clocks may read (the boot time is given in whole seconds). */
const CLOCK_SLACK_MS = 1000;

/** What a launch needs to have written to be adopted from its pidfile. */
export interface LaunchSpec {
  pidFile: string;
  /** The program as spawned (after the launch shell's exec). */
  command: string[];
  /** When the launch was asked for (the record's createdAt). */
  createdAt: string;
  /** The log files the launch handed to the program as stdout and stderr. */
  outLog?: string;
  errLog?: string;
}

export interface PidFileClaim {
  pid: number;
  identity: string;
  startedAt: number;
}

/** The user bgrun runs as; every process it launched runs as this user too. */
const myUid = () => process.getuid?.();

/**
 * Whether `pid` runs what the launch spawned: its command line is the command (or the
 * command behind the interpreter of its `#!` line, or the launch shell just before its
 * exec), or, for a program that exec-ed another (a wrapper script's `exec server`), its
 * stdout or stderr is still the launch's log file, which the kernel hands on across exec.
 */
function runsLaunch(pid: number, spec: LaunchSpec): boolean {
  const argv = readCommandLine(pid);
  if (argv === null) return false;
  const wrapped = ['/bin/sh', '-c', PIDFILE_THEN_EXEC, spec.pidFile, ...spec.command];
  if (argv.length === 1 && process.platform !== 'linux') {
    // `ps -o args=` joins the arguments with spaces: the best comparison there is.
    return argv[0] === spec.command.join(' ') || argv[0] === wrapped.join(' ') || argv[0]!.endsWith(` ${spec.command.join(' ')}`);
  }
  const endsWith = (a: string[], tail: string[]) => a.length >= tail.length && tail.every((x, i) => x === a[a.length - tail.length + i]);
  // A script's `#!` interpreter (and its one optional argument) come before the script path.
  if (endsWith(argv, spec.command) && argv.length - spec.command.length <= 2) return true;
  if (argv.length === wrapped.length && endsWith(argv, wrapped)) return true;
  return writesTo(pid, 1, spec.outLog) || writesTo(pid, 2, spec.errLog);
}

/** True when file descriptor `fd` of `pid` is `file` (Linux; false elsewhere). */
function writesTo(pid: number, fd: number, file: string | undefined): boolean {
  if (file === undefined || process.platform !== 'linux') return false;
  try {
    return fs.readlinkSync(`/proc/${pid}/fd/${fd}`) === fs.realpathSync(file);
  } catch {
    return false;
  }
}

/**
 * The process a launch's pidfile names, if it is the one launched: a launch writes
 * its pidfile moments after it is spawned, so a process that started after the
 * pidfile was written (its pid was reused) is not it, whatever its pid; nor is one
 * of another user, one running something else than the launch (runsLaunch), or one
 * that started before the launch was asked for. Used where a launcher (a `bgrun start`, or the supervisor)
 * was killed between spawning the program and recording its pid.
 */
export function claimFromPidFile(spec: LaunchSpec): PidFileClaim | null {
  const stamped = readPidFileStamped(spec.pidFile);
  if (stamped === null) return null;
  const { pid, writtenAt } = stamped;
  const created = Date.parse(spec.createdAt);
  // A pidfile of an earlier run, left from before this launch reset it.
  if (!(writtenAt >= created - CLOCK_SLACK_MS)) return null;
  const info = readProcess(pid);
  if (!info || info.dead) return null;
  const started = processStartTime(pid);
  if (started === null || started < created - CLOCK_SLACK_MS || started > writtenAt + CLOCK_SLACK_MS) return null;
  const uid = myUid();
  if (uid !== undefined && readProcessUid(pid) !== uid) return null;
  if (!runsLaunch(pid, spec)) return null;
  // Read again: the identity must be the one of the process whose command was checked.
  if (readProcess(pid)?.identity !== info.identity) return null;
  return { pid, identity: info.identity, startedAt: started };
}

/**
 * True when `known` (read from supervisor.json) is a live bgrun supervisor of this
 * user: the same process as recorded, running bgrun's supervisor entry, and (on
 * Linux) serving the state folder `home`. A planted supervisor.json naming any other
 * process is not believed, so it is never signalled.
 */
export function isOurSupervisor(known: KnownProcess, home: string): boolean {
  if (!isSameProcess(known)) return false;
  const uid = myUid();
  if (uid !== undefined && readProcessUid(known.pid) !== uid) return false;
  const argv = readCommandLine(known.pid);
  const entry = `${path.sep}supervisor${path.sep}main.js`;
  if (!argv?.some((arg) => arg.endsWith(entry))) return false;
  if (process.platform === 'linux') {
    const environ = readEnviron(known.pid);
    if (environ === null || !environ.includes(`\0BGRUN_HOME=${home}\0`)) return false;
  }
  return true;
}

/** The environment block of a process of ours, NUL-framed for exact matches; null where unreadable. Never printed. */
function readEnviron(pid: number): string | null {
  try {
    return `\0${fs.readFileSync(`/proc/${pid}/environ`, 'utf8')}`;
  } catch {
    return null;
  }
}

/** A program whose main process has ended: its pid (its process group's id), its identity and start. */
export interface EndedLeader {
  pid: number;
  identity: string | null;
  /** When it started (ISO), from its record. */
  startedAt: string | null;
}

/**
 * The processes of a program that outlived its main process: live members of its process
 * group (`sh -c 'server & exit'`, a Procfile line ending in `&`). A group's id cannot be
 * reused while the group has a member, so these are the program's own, provided the id
 * was not reused before they were found: the main pid must not be another live process
 * now (which would lead a group of its own), and every member must be in the program's
 * session and have started after the program did. Costs one kill(-pgid, 0) when the group
 * is empty, the usual case; one scan of the processes otherwise.
 */
export function groupLeftovers(leader: EndedLeader): KnownProcess[] {
  const pgid = leader.pid;
  try {
    process.kill(-pgid, 0); // signal 0: only asks whether the group has members
  } catch {
    return [];
  }
  const now = readProcess(pgid);
  if (now && !now.dead && now.identity !== leader.identity) return [];
  const since = leader.startedAt ? Date.parse(leader.startedAt) - CLOCK_SLACK_MS : Number.NEGATIVE_INFINITY;
  const uid = myUid();
  const out: KnownProcess[] = [];
  for (const p of listAllProcesses()) {
    if (p.pgid !== pgid || p.dead || p.pid === pgid) continue;
    if (!Number.isNaN(p.sid) && p.sid !== pgid) continue;
    const started = processStartTime(p.pid);
    if (started === null || started < since) continue;
    if (uid !== undefined && uid !== 0 && readProcessUid(p.pid) !== uid) continue;
    out.push({ pid: p.pid, identity: p.identity });
  }
  return out;
}

/**
 * What is left of a program whose main process has ended: its group's live members
 * (groupLeftovers) and the recorded `strays`, processes of its tree outside its group that
 * a stop found before it signalled anything and that are still the same processes. A stop
 * killed half-way leaves those known, so the next `list` shows them and the next `stop` ends them.
 */
export function programLeftovers(leader: EndedLeader | null, strays: readonly KnownProcess[] | null | undefined): KnownProcess[] {
  // A supervisor that saw the main process exit wrote its pid away: the strays are all there is to check then.
  const out = leader ? groupLeftovers(leader) : [];
  for (const stray of strays ?? []) if (isSameProcess(stray) && !out.some((p) => p.pid === stray.pid)) out.push(stray);
  return out;
}

/** A child bgrun spawned detached, as Node's ChildProcess has it: Node reaps it right before its 'exit' event and sets exitCode or signalCode then. */
export interface SpawnedChild {
  pid?: number | undefined;
  exitCode: number | null;
  signalCode: NodeJS.Signals | null;
}

/**
 * What signals the process group of a child bgrun spawned detached (a health check command,
 * an exit hook, an app of `bgrun run`), for a timeout or a forwarded signal; call it right
 * after the spawn, it takes the child's identity then. Until Node reaped the child, its pid,
 * and so its group's id, cannot be reused: the group is signalled as it is. After that (its
 * pipes still held by a process it left behind) the id could name a stranger's group, so
 * only the members groupLeftovers finds are signalled, each checked right before.
 */
export function groupSignaller(child: SpawnedChild): (signal: NodeJS.Signals) => boolean {
  const pid = child.pid;
  if (pid === undefined) return () => false;
  const leader: EndedLeader = { pid, identity: processIdentity(pid), startedAt: new Date().toISOString() };
  return (signal) => {
    if (child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-pid, signal);
        return true;
      } catch {
        return false;
      }
    }
    let sent = false;
    for (const member of groupLeftovers(leader)) if (signalIfSame(member, signal)) sent = true;
    return sent;
  };
}
