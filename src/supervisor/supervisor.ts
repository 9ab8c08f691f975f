import type { ChildProcess } from 'node:child_process';
import type { Context } from '../core/context.js';
import { rotateIfOver } from '../core/logs/rotate.js';
import { type KnownProcess, claimFromPidFile, groupLeftovers } from '../core/processes/identity.js';
import { isSameProcessAlive, pidExists, processIdentity, readUsage } from '../core/processes/process-info.js';
import type { PlannedRestart, ProcessRecord } from '../core/records/record.js';
import { isSupervised } from '../core/records/supervised.js';
import { type ReadResult, readRecord, readRecords, withLock, writeRecord, writeRecords } from '../core/records/registry.js';
import { spawnRecord } from '../core/lifecycle/launch.js';
import { terminateLeftovers, terminateTree } from '../core/processes/terminate.js';
import { LogKeeper } from './log-keeper.js';
import { DEFAULT_KILL_TIMEOUT_MS } from '../core/supervision.js';
import { Schedules } from './cron.js';
import { HealthChecks, recordHost } from './health.js';
import { ExitHooks, type HookEvent } from './hooks.js';
import { givesUp, isFailure, isStopExit, nextFailures, restartDelay, type RunEnd, shouldRestart } from './policy.js';
import { Watches, describeChanges } from './watch.js';
import { needsSupervisor } from './needs.js';
import { readSupervisorInfo, removeSupervisorInfo } from './supervisor-file.js';
import { RecordReader } from './record-reader.js';
import { Round } from './round.js';

/** supervisor.log is rotated past this size (one copy kept). */
const SUPERVISOR_LOG_BYTES = 1024 * 1024;
/** How often adopted programs (not our children) are checked, and records re-read. */
const TICK_MS = 500;
/** max-memory must be exceeded on this many ticks in a row: a spike is not a leak. */
const MEMORY_TICKS = 2;
/** Idle this many ticks in a row before exiting, so a start right after a stop finds us. */
const IDLE_TICKS = 4;


/**
 * Adopted programs (not our children) are looked at every tick with kill(pid, 0), which
 * sees an exit at once; their /proc entry (a zombie, a reused pid) is read for this many
 * a tick, at least, and for all of them within ADOPTED_ROUND_TICKS ticks.
 */
const ADOPTED_CHECKS_PER_TICK = 50;
const ADOPTED_ROUND_TICKS = 20;

/** How many programs one lock spawns and records together. */
const LAUNCH_BATCH = 20;

interface Run {
  pid: number;
  identity: string | null;
  startedAt: number;
  /** Our child: its exit code arrives by event. Adopted: found dead by polling. */
  child: ChildProcess | null;
}

export class Supervisor {
  private readonly runs = new Map<string, Run>();
  private readonly reader: RecordReader;
  private readonly adoptedRound = new Round<string>(ADOPTED_ROUND_TICKS, ADOPTED_CHECKS_PER_TICK);
  /** The last read of the records, and what was derived from it (redone only when the records changed). */
  private seen: { read: ReadResult; wanted: ProcessRecord[]; byName: Map<string, ProcessRecord> } | null = null;
  /** Names of corrupt records already written to supervisor.log, so a tick does not repeat them. */
  private readonly reportedCorrupt = new Set<string>();
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private readonly overMemory = new Map<string, number>();
  /** Names being restarted on purpose (max-memory, health, watch, cron): that exit is not a crash. */
  private readonly planned = new Map<string, PlannedRestart>();
  /** What broke in a program's supervision after its start, by feature, for `show` (supervisionError). */
  private readonly problems = new Map<string, Map<string, string>>();
  private readonly watches: Watches;
  private readonly schedules: Schedules;
  private readonly health: HealthChecks;
  private readonly hooks: ExitHooks;
  private reconciling: Promise<void> | null = null;
  private again = false;
  private idleTicks = 0;
  private interval: NodeJS.Timeout | null = null;
  private stopping = false;
  private readonly keeper: LogKeeper;
  private markClosed!: () => void;
  /**
   * Settles when the supervisor shut down (a signal, idle, or replaced): the entry point
   * (main.ts) exits then. The supervisor itself never exits the process, so it can run
   * inside another one (a test).
   */
  readonly closed = new Promise<void>((resolve) => {
    this.markClosed = resolve;
  });

  constructor(
    private readonly ctx: Context,
    private readonly log: (line: string) => void,
  ) {
    this.keeper = new LogKeeper(ctx, log);
    this.reader = new RecordReader(ctx.paths);
    const report = (feature: string) => (name: string, problem: string | null) => this.report(name, feature, problem);
    this.watches = new Watches(ctx.paths.home, log, (name, files) => this.onWatchChange(name, files), report('watch'));
    this.schedules = new Schedules(log, (name) => this.restartOrStart(name, 'cron', 'its --cron-restart schedule'), report('cron'));
    this.health = new HealthChecks(recordHost(ctx), log, {
      unhealthy: (name, pid, reason) => this.restartGracefully(name, pid, 'unhealthy', `its health check failed: ${reason}`),
      changed: (name, pid, unhealthy, reason) => this.setHealth(name, pid, unhealthy, reason),
      ready: (name, pid) => this.markReady(name, pid),
    }, report('health'));
    this.hooks = new ExitHooks(ctx.paths, log, report('hook'));
  }

  start(): void {
    this.interval = setInterval(() => this.wake(), TICK_MS);
    this.wake();
  }

  /**
   * Leaves every program running: they never depend on the supervisor. Resolves once
   * the pass over the records in progress, if any, has ended. Code of that pass calls it
   * without waiting (it would wait for itself).
   */
  async shutdown(reason: string): Promise<void> {
    if (this.stopping) return this.closed;
    this.stopping = true;
    this.log(`exiting (${reason}); programs keep running`);
    if (this.interval) clearInterval(this.interval);
    this.keeper.close();
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.watches.closeAll();
    this.schedules.closeAll();
    this.health.closeAll();
    for (const run of this.runs.values()) run.child?.unref();
    // Only running hooks delay the exit, by a few seconds at most: their time limit lives here (hooks.ts).
    await this.hooks.shutdown();
    this.markClosed();
    await this.reconciling;
  }

  /** Re-reads the records; calls that arrive meanwhile are folded into one more pass. */
  wake(): void {
    if (this.stopping) return;
    if (this.reconciling) {
      this.again = true;
      return;
    }
    this.reconciling = this.reconcile()
      .catch((error: unknown) => this.log(`error: ${(error as Error).message}`))
      .finally(() => {
        this.reconciling = null;
        if (this.again) {
          this.again = false;
          this.wake();
        }
      });
  }

  /** Another supervisor took over (a newer version): step aside at once. */
  private stillInCharge(): boolean {
    const info = readSupervisorInfo(this.ctx.paths);
    if (info?.pid === process.pid) return true;
    void this.shutdown('replaced by another supervisor');
    return false;
  }

  private async reconcile(): Promise<void> {
    if (!this.stillInCharge()) return;
    const { records, wanted, byName } = this.readRecords();
    // Programs waiting for their first spawn are spawned together, under one lock, their records written in one batch.
    const toLaunch: string[] = [];
    const adopted = () => [...this.runs].flatMap(([name, run]) => (run.child ? [] : [name]));
    const closely = new Set(this.adoptedRound.next(adopted, this.runs.size));
    for (const record of wanted) {
      const run = this.runs.get(record.name);
      // Our child, its exit an event, and no memory limit to check: nothing to do on a tick (most of 1,000 programs).
      if (run?.child && run.pid === record.pid && record.maxMemoryBytes === null) continue;
      await this.reconcileOne(record, toLaunch, closely);
    }
    if (toLaunch.length > 0) await this.launch(toLaunch, false);
    for (const name of this.runs.keys()) {
      const r = byName.get(name);
      if (!r || r.desired !== 'running' || !isSupervised(r)) this.forgetIfGone(name);
    }
    // Logs past their limit are rotated, and time indexes written, as the logs grow (log-keeper.ts).
    this.keeper.sync(records);
    await this.rotateOwnLog();
    await this.syncFeatures(records);
    const busy = needsSupervisor(records) || ([...this.runs.values()].some((run) => run.child !== null) || this.hooks.busy);
    this.idleTicks = busy ? 0 : this.idleTicks + 1;
    if (this.idleTicks >= IDLE_TICKS) await this.exitIfIdle();
  }

  /** The records, re-read only when they may have changed (record-reader.ts); what a tick derives from them, once per change. */
  private readRecords(): { records: ProcessRecord[]; wanted: ProcessRecord[]; byName: Map<string, ProcessRecord> } {
    const read = this.reader.read();
    if (this.seen?.read === read) return { records: read.records, wanted: this.seen.wanted, byName: this.seen.byName };
    // Left in place: the next `bgrun list` reports and quarantines them where the user sees it.
    // Once per record while it stays broken, whatever its reason of the moment (a file caught
    // mid-write reads as empty first); once more if it breaks again after being fixed.
    const stillCorrupt = new Set(read.corrupt.map((error) => error.appName));
    for (const name of this.reportedCorrupt) if (!stillCorrupt.has(name)) this.reportedCorrupt.delete(name);
    for (const error of read.corrupt) {
      if (!this.reportedCorrupt.has(error.appName)) this.log(`error: ${error.message}; not supervised until it is fixed or removed`);
      this.reportedCorrupt.add(error.appName);
    }
    const wanted = read.records.filter((r) => isSupervised(r) && r.desired === 'running');
    const byName = new Map(read.records.map((r) => [r.name, r]));
    this.seen = { read, wanted, byName };
    return { records: read.records, wanted, byName };
  }

  /** supervisor.log is bounded too: past SUPERVISOR_LOG_BYTES it is rotated like a program's log, one copy kept (supervisor.log.1). */
  private async rotateOwnLog(): Promise<void> {
    try {
      await rotateIfOver(this.ctx.paths.supervisorLog, SUPERVISOR_LOG_BYTES, 1);
    } catch (error) {
      this.log(`error rotating supervisor.log: ${(error as Error).message}`);
    }
  }

  /** `closely`: adopted programs whose /proc entry is read on this tick (the others get a kill(pid, 0)). */
  private async reconcileOne(record: ProcessRecord, toLaunch: string[], closely: Set<string>): Promise<void> {
    const name = record.name;
    const run = this.runs.get(name);
    if (run && run.pid === record.pid) {
      if (!run.child && !(closely.has(name) ? isSameProcessAlive(run.pid, run.identity) : pidExists(run.pid))) {
        // An adopted program died; we are not its parent, so its exit code is unknown.
        this.runs.delete(name);
        await this.onExit(name, run, { exitCode: null, signal: null });
        return;
      }
      await this.checkMemory(record, run);
      return;
    }
    if (record.pid !== null && isSameProcessAlive(record.pid, record.identity)) {
      const startedAt = record.startedAt ? Date.parse(record.startedAt) : Date.now();
      this.runs.set(name, { pid: record.pid, identity: record.identity, startedAt, child: null });
      this.log(`adopted ${name} (pid ${record.pid})`);
      return;
    }
    if (this.timers.has(name) || record.status === 'errored') return;
    if (record.status === 'starting' && record.pid === null) {
      toLaunch.push(name);
      return;
    }
    if (record.nextStartAt) {
      this.schedule(name, Math.max(0, Date.parse(record.nextStartAt) - Date.now()));
      return;
    }
    if (record.status === 'running' && record.pid !== null) {
      // Recorded as running but gone, and not ours: it died while no supervisor watched.
      const lost: Run = { pid: record.pid, identity: record.identity, startedAt: record.startedAt ? Date.parse(record.startedAt) : 0, child: null };
      await this.onExit(name, lost, { exitCode: null, signal: null });
    }
    // Otherwise it ended and its policy said no restart: nothing to do.
  }

  /** Watches, schedules and health checks follow the records (a new supervisor resumes them all from there). */
  private async syncFeatures(records: ProcessRecord[]): Promise<void> {
    // The records of this pass may predate a launch it made: health checks want the current pid.
    const current = records.map((r) => {
      const run = this.runs.get(r.name);
      return run && r.pid !== run.pid ? (readRecord(this.ctx.paths, r.name) ?? r) : r;
    });
    try {
      this.watches.sync(current);
      this.schedules.sync(current);
      this.health.sync(current);
    } catch (error) {
      this.log(`error: ${(error as Error).message}`);
    }
  }

  /** A settled burst of changes: restart a running program, start one that ended. */
  private onWatchChange(name: string, files: string[]): void {
    this.restartOrStart(name, 'watch', describeChanges(files));
  }

  /** Restarts the program gracefully if it runs; starts it if it ended (exited, or given up on) and was not stopped. */
  private restartOrStart(name: string, why: PlannedRestart, reason: string): void {
    if (this.stopping) return;
    const run = this.runs.get(name);
    if (run) {
      this.restartGracefully(name, run.pid, why, reason);
      return;
    }
    this.startAgain(name, reason).catch((error: unknown) => this.log(`error starting ${name}: ${(error as Error).message}`));
  }

  private async startAgain(name: string, reason: string): Promise<void> {
    const go = await withLock(this.ctx.paths, () => {
      const record = readRecord(this.ctx.paths, name);
      if (!record || record.desired !== 'running' || !isSupervised(record)) return false;
      if (record.pid !== null && isSameProcessAlive(record.pid, record.identity)) return false;
      // A fresh start: the crash loop so far no longer counts.
      writeRecord(this.ctx.paths, { ...record, failures: 0, nextStartAt: null });
      return true;
    });
    if (!go) return;
    this.cancelTimer(name);
    this.log(`starting ${name}: ${reason}`);
    await this.launch([name], true);
  }

  /** A graceful stop of its tree (its --stop-signal, --kill-timeout), then at once a start: onExit sees it planned. */
  private restartGracefully(name: string, pid: number, why: PlannedRestart, reason: string): void {
    const run = this.runs.get(name);
    if (!run || run.pid !== pid || run.identity === null || this.planned.has(name)) return;
    const record = readRecord(this.ctx.paths, name);
    if (!record || record.desired !== 'running') return;
    this.planned.set(name, why);
    this.log(`restarting ${name} (pid ${pid}): ${reason}`);
    terminateTree(run.pid, run.identity, { signal: (record.stopSignal ?? 'SIGTERM') as NodeJS.Signals, timeoutMs: record.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS }).catch(
      (error: unknown) => {
        this.planned.delete(name);
        this.log(`error stopping ${name}: ${(error as Error).message}`);
      },
    );
  }

  private setHealth(name: string, pid: number, unhealthy: boolean, reason: string | null): void {
    this.updateRecord(name, (r) => (r.pid === pid ? { ...r, unhealthy, healthError: reason } : null));
  }

  private markReady(name: string, pid: number): void {
    this.updateRecord(name, (r) => (r.pid === pid ? { ...r, readyAt: new Date().toISOString() } : null));
  }

  private report(name: string, feature: string, problem: string | null): void {
    const byFeature = this.problems.get(name) ?? new Map<string, string>();
    if (problem === null ? !byFeature.has(feature) : byFeature.get(feature) === problem) return;
    if (problem === null) byFeature.delete(feature);
    else byFeature.set(feature, problem);
    this.problems.set(name, byFeature);
    const text = byFeature.size > 0 ? [...byFeature.values()].join('; ') : null;
    this.updateRecord(name, (r) => ((r.supervisionError ?? null) === text ? null : { ...r, supervisionError: text }));
  }

  /** A small change of one record under the lock, in the background; null from `change`: nothing to write. */
  private updateRecord(name: string, change: (r: ProcessRecord) => ProcessRecord | null): void {
    withLock(this.ctx.paths, () => {
      const record = readRecord(this.ctx.paths, name);
      const next = record ? change(record) : null;
      if (next) writeRecord(this.ctx.paths, next);
    }).catch((error: unknown) => this.log(`error updating ${name}: ${(error as Error).message}`));
  }

  private forgetIfGone(name: string): void {
    const run = this.runs.get(name);
    if (run && !run.child) this.runs.delete(name);
    this.cancelTimer(name);
  }

  private cancelTimer(name: string): void {
    const timer = this.timers.get(name);
    if (timer) clearTimeout(timer);
    this.timers.delete(name);
  }

  private schedule(name: string, delayMs: number): void {
    this.cancelTimer(name);
    this.timers.set(
      name,
      setTimeout(() => {
        this.timers.delete(name);
        this.launch([name], true).catch((error: unknown) => this.log(`error restarting ${name}: ${(error as Error).message}`));
      }, delayMs),
    );
  }

  /**
   * Spawns under the lock, so a `bgrun stop` can never slip between the check and the spawn.
   * Several programs (a config of 100 supervised apps) are spawned under one lock and their
   * records written in one batch (writeRecords: the syncs at once), not one lock and one
   * sync each; the log lines follow the records, which a waiting command reads first.
   */
  private async launch(names: string[], automatic: boolean): Promise<void> {
    // In batches: the lock is not held for long (others wait for it, and its refresh must keep up on a loaded machine).
    for (let at = 0; at < names.length; at += LAUNCH_BATCH) {
      await withLock(this.ctx.paths, async () => {
        if (this.stillInCharge()) await this.launchLocked(names.slice(at, at + LAUNCH_BATCH), automatic);
      });
    }
  }

  /** launch() of programs under the lock already held; `base`: the record of the one name, as its caller has it (not read again). */
  private async launchLocked(names: string[], automatic: boolean, base?: ProcessRecord): Promise<void> {
    const writes: ProcessRecord[] = [];
    const lines: string[] = [];
    for (const name of names) await this.launchOne(name, automatic, writes, lines, base);
    try {
      await writeRecords(this.ctx.paths, writes);
    } finally {
      for (const line of lines) this.log(line);
    }
  }

  /** One program of launch(): what to write goes to `writes`, what to log to `lines`. */
  private async launchOne(name: string, automatic: boolean, writes: ProcessRecord[], lines: string[], base?: ProcessRecord): Promise<void> {
    const record = base ?? readRecord(this.ctx.paths, name);
    if (!record || record.desired !== 'running' || !isSupervised(record)) return;
    if (record.pid !== null && isSameProcessAlive(record.pid, record.identity)) return;
    // A supervisor killed between spawning this program and recording it left its pidfile:
    // adopt that process (checked as plain mode checks it) rather than start a second copy.
    const claim = claimFromPidFile(record);
    if (claim) {
      this.runs.set(name, { pid: claim.pid, identity: claim.identity, startedAt: claim.startedAt, child: null });
      writes.push({
        ...record,
        status: 'running',
        pid: claim.pid,
        identity: claim.identity,
        startedAt: new Date(claim.startedAt).toISOString(),
        endedAt: null,
        nextStartAt: null,
        startError: null,
        launcher: null,
        supervisedBy: String(process.pid),
      });
      lines.push(`adopted ${name} (pid ${claim.pid}) from its pidfile: its launch was not recorded`);
      return;
    }
    let child: ChildProcess;
    try {
      this.health.beforeSpawn(record);
      child = await spawnRecord(this.ctx.paths, record);
    } catch (error) {
      const reason = (error as Error).message;
      lines.push(`cannot start ${name}: ${reason}`);
      // The last run's exit code and signal would otherwise be reported as this start's.
      writes.push({
        ...record,
        status: 'errored',
        pid: null,
        identity: null,
        exitCode: null,
        signal: null,
        nextStartAt: null,
        startError: reason,
        endedAt: new Date().toISOString(),
      });
      return;
    }
    const pid = child.pid!;
    const run: Run = { pid, identity: processIdentity(pid), startedAt: Date.now(), child };
    this.runs.set(name, run);
    child.once('exit', (code, signal) => {
      if (this.runs.get(name) === run) this.runs.delete(name);
      this.onExit(name, run, { exitCode: code, signal }).catch((error: unknown) => this.log(`error after ${name} exited: ${(error as Error).message}`));
    });
    writes.push({
      ...record,
      status: 'running',
      pid,
      identity: run.identity,
      startedAt: new Date(run.startedAt).toISOString(),
      endedAt: null,
      restarts: automatic ? record.restarts + 1 : record.restarts,
      nextStartAt: null,
      startError: null,
      launcher: null,
      supervisedBy: String(process.pid),
      unhealthy: false,
      healthError: null,
    });
    lines.push(`${automatic ? 'restarted' : 'started'} ${name} (pid ${pid})`);
  }

  /** Records how the run ended and applies the restart policy. */
  private async onExit(name: string, run: Run, end: RunEnd): Promise<void> {
    if (this.stopping) return;
    // Taken before the lock: waiting for it under load must not count as uptime (it would reset the backoff).
    const endedAtMs = Date.now();
    const plan = this.planned.get(name) ?? null;
    this.planned.delete(name);
    let hook: HookEvent | null = null;
    let hookRecord: ProcessRecord | null = null;
    let left: KnownProcess[] = [];
    let stopWith: ProcessRecord | null = null;
    const delay = await withLock(this.ctx.paths, async () => {
      const record = readRecord(this.ctx.paths, name);
      // Restarted, removed, or already handled (a pass that read the records earlier): not ours now.
      if (!record || record.pid !== run.pid) return null;
      if (!run.child && isSameProcessAlive(run.pid, run.identity)) return null;
      const endedAt = new Date(endedAtMs).toISOString();
      // What the run left in its process group (`sh -c 'server &'`): found now, while the
      // record still names the run; the pid is written away below.
      left = groupLeftovers({ pid: run.pid, identity: run.identity, startedAt: new Date(run.startedAt).toISOString() });
      stopWith = record;
      const known = [...(record.strays ?? []), ...left.flatMap((p) => (p.identity === null ? [] : [{ pid: p.pid, identity: p.identity }]))];
      const ended = {
        ...record,
        pid: null,
        identity: null,
        lastPid: run.pid,
        exitCode: end.exitCode,
        signal: end.signal,
        endedAt,
        restartedFor: plan,
        // Not restarted: kept, so that list shows them and stop ends them (as for a plain program).
        ...(known.length > 0 ? { strays: known } : {}),
      };
      if (record.desired !== 'running') {
        writeRecord(this.ctx.paths, { ...ended, status: 'stopped', nextStartAt: null });
        return null;
      }
      // Asked for by no stop or restart: the hook hears of it (a planned watch or cron restart is no news).
      hookRecord = { ...ended, unhealthy: false, healthError: null };
      hook = plan === 'memory' || plan === 'unhealthy' ? plan : plan ? null : isFailure(end) && !isStopExit(end, record.stopExitCodes) ? 'crashed' : 'exited';
      if (!plan && !shouldRestart(record.restart, end, record.stopExitCodes)) {
        // The line goes first: whoever sees the record's new status finds the reason already logged.
        const why = isStopExit(end, record.stopExitCodes) ? `--stop-exit-codes ${record.stopExitCodes!.join(',')}` : `--restart ${record.restart}`;
        this.log(`${name} exited with code ${end.exitCode}; not restarted (${why})`);
        writeRecord(this.ctx.paths, { ...ended, status: 'exited', nextStartAt: null, failures: 0 });
        return null;
      }
      const failures = plan ? (record.failures ?? 0) : nextFailures(record.failures ?? 0, endedAtMs - run.startedAt, record.minUptimeMs);
      if (givesUp(record.restart, record.maxRestarts, failures)) {
        this.log(`${name} crashed ${failures} times in a row; giving up (status errored)`);
        writeRecord(this.ctx.paths, { ...ended, status: 'errored', nextStartAt: null, failures });
        hook = 'errored';
        return null;
      }
      const wait = plan ? 0 : restartDelay(failures, record);
      const exited: ProcessRecord = {
        ...ended,
        // Restarted: what the run left is ended below, so it is not kept.
        strays: record.strays ?? null,
        status: 'exited',
        failures,
        nextStartAt: new Date(Date.now() + wait).toISOString(),
      };
      const how = end.signal ? `was killed by ${end.signal}` : end.exitCode === null ? 'ended (exit code unknown)' : `exited with code ${end.exitCode}`;
      const because = { memory: ' after exceeding --max-memory', unhealthy: ' after failing its health check', watch: ' for a change of watched files', cron: ' on its --cron-restart schedule' };
      this.log(`${name} ${how}${plan ? because[plan] : ''}; restarting in ${wait} ms`);
      // No wait, and nothing the run left to end first: started again at once under this lock, one
      // record written (the new run's, with how the last one ended), not one lock and one sync for
      // the exit and another for the start.
      if (wait === 0 && left.length === 0 && this.stillInCharge()) {
        this.cancelTimer(name);
        await this.launchLocked([name], true, exited);
        return null;
      }
      writeRecord(this.ctx.paths, exited);
      return wait;
    });
    if (hook && hookRecord) this.hooks.fire({ record: hookRecord, event: hook, exitCode: end.exitCode, signal: end.signal });
    if (delay !== null) {
      if (left.length > 0 && stopWith) this.endLeftovers(name, run.pid, left, stopWith);
      this.schedule(name, delay);
    }
  }

  /**
   * Ends what a run that is being restarted left in its process group, gracefully (its
   * --stop-signal, then SIGKILL after --kill-timeout), each process checked to be the same
   * one right before each signal (core/processes/identity.ts): without this, every restart
   * of a program that forks and exits adds one more process nobody tracks.
   */
  private endLeftovers(name: string, pgid: number, left: KnownProcess[], record: ProcessRecord): void {
    this.log(`ending ${left.length} process${left.length === 1 ? '' : 'es'} that the last run of ${name} left in its process group (pid ${left.map((p) => p.pid).join(', ')})`);
    terminateLeftovers(pgid, left, { signal: (record.stopSignal ?? 'SIGTERM') as NodeJS.Signals, timeoutMs: record.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS }).catch((error: unknown) =>
      this.log(`error ending what ${name} left: ${(error as Error).message}`),
    );
  }

  private async checkMemory(record: ProcessRecord, run: Run): Promise<void> {
    if (record.maxMemoryBytes === null || this.planned.has(record.name)) return;
    const usage = readUsage([run.pid]).get(run.pid);
    const count = usage && usage.memory > record.maxMemoryBytes ? (this.overMemory.get(record.name) ?? 0) + 1 : 0;
    this.overMemory.set(record.name, count);
    if (count < MEMORY_TICKS || run.identity === null) return;
    this.overMemory.delete(record.name);
    // Not awaited: the tree may take up to its timeout to stop, and other programs need watching meanwhile.
    this.restartGracefully(record.name, run.pid, 'memory', `it uses ${usage?.memory} bytes, over --max-memory ${record.maxMemoryBytes}`);
  }

  /** Exits when nothing needs supervising; decided under the lock so a concurrent start finds us or a successor. */
  private async exitIfIdle(): Promise<void> {
    const idle = await withLock(this.ctx.paths, () => {
      const { records } = readRecords(this.ctx.paths, { quarantine: false });
      if (needsSupervisor(records) || ([...this.runs.values()].some((run) => run.child !== null) || this.hooks.busy)) return false;
      if (readSupervisorInfo(this.ctx.paths)?.pid === process.pid) removeSupervisorInfo(this.ctx.paths);
      return true;
    });
    if (idle) void this.shutdown('nothing to supervise');
    else this.idleTicks = 0;
  }
}
