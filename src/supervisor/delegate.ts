import type { Context } from '../core/context.js';
import type { LaunchItem, LaunchResult } from '../core/lifecycle/launch.js';
import { readErrorReport } from '../core/logs/error-report.js';
import { fileSize, readTail } from '../core/logs/read.js';
import type { ProcessRecord } from '../core/records/record.js';
import { isSameProcessAlive } from '../core/processes/process-info.js';
import { readRecord } from '../core/records/registry.js';
import { startsOnEvents } from '../core/records/supervised.js';
import { BgrunError, ExitedAtStartError, StartError } from '../errors.js';
import { ensureSupervisor } from './ensure.js';
import { type SupervisorInfo, readSupervisorInfo } from './supervisor-file.js';

/** How long the supervisor may do nothing at all before a start gives up on it. */
const STALL_TIMEOUT_MS = 10_000;
/** However busy it stays, a start gives up after this long. */
const LAUNCH_TIMEOUT_MS = 300_000;
const POLL_MS = 20;
/** Many starts wait side by side (a config of 150 apps): polls slow down while they wait. */
const MAX_POLL_MS = 200;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The supervisor this start waits for is gone: a newer one that replaced it takes over
 * the wait; otherwise it failed (a crash, or a Node that refused its options), and its
 * last words in supervisor.log say why, at once rather than after the stall timeout.
 */
function successorOf(ctx: Context, gone: SupervisorInfo, name: string): SupervisorInfo {
  const named = readSupervisorInfo(ctx.paths);
  if (named && named.pid !== gone.pid && isSameProcessAlive(named.pid, named.identity)) return named;
  let last: string | undefined;
  try {
    last = readTail(ctx.paths.supervisorLog, 1)[0]?.trim();
  } catch {
    // its last words are a help, not the error (a link in its place is not read)
  }
  throw new BgrunError(
    'SUPERVISOR_FAILED',
    `the supervisor (pid ${gone.pid}) exited before starting '${name}'${last ? ` (its log ends: ${last})` : ''}; see ${ctx.paths.supervisorLog}`,
  );
}

/**
 * The last run was ended by the supervisor for its schedule or its watch, not by itself:
 * the user's plan, not a failure of the start. (A restart for --max-memory or a failing
 * health check right after the start is still reported: the program has a problem.)
 */
function byEvent(r: ProcessRecord): boolean {
  return r.restartedFor === 'cron' || r.restartedFor === 'watch';
}

/**
 * Many supervised records (a config of 100 apps): the supervisor is made sure of and woken
 * once, under one lock, rather than once per record; then each is watched as launchSupervised
 * watches it. Their stderr offsets are taken first, before the supervisor can spawn any.
 */
export async function launchSupervisedMany(ctx: Context, items: LaunchItem[]): Promise<PromiseSettledResult<LaunchResult>[]> {
  const errFrom = items.map(({ record }) => fileSize(record.errLog));
  let supervisor: SupervisorInfo;
  try {
    supervisor = await ensureSupervisor(ctx);
  } catch (error) {
    return items.map(() => ({ status: 'rejected', reason: error }));
  }
  return Promise.allSettled(items.map(({ record, waitMs }, i) => launchSupervised(ctx, record, waitMs, supervisor, errFrom[i])));
}

/**
 * Supervised programs are spawned by the supervisor, so it is their parent and
 * sees every exit. The command hands over through the record (written with
 * status `starting`) and waits for the supervisor to fill in the pid, then
 * watches the record for the grace period exactly as plain mode watches its child.
 */
export async function launchSupervised(ctx: Context, record: ProcessRecord, waitMs: number, ensured?: SupervisorInfo, errFromGiven?: number): Promise<LaunchResult> {
  // Where this start's stderr begins: its crash report shows only what its runs wrote.
  const errFrom = errFromGiven ?? fileSize(record.errLog);
  let supervisor = ensured ?? (await ensureSupervisor(ctx));
  // On a loaded machine a supervisor asked for many starts at once spawns a few a second:
  // a start waits as long as it makes progress (it logs every spawn, so its log grows), and
  // fails when it stalls.
  const deadline = Date.now() + LAUNCH_TIMEOUT_MS;
  let stallDeadline = Date.now() + STALL_TIMEOUT_MS;
  let seenLog = fileSize(ctx.paths.supervisorLog);
  let pollMs = POLL_MS;
  let current: ProcessRecord | null = record;
  for (;;) {
    current = readRecord(ctx.paths, record.name);
    if (!current) throw new BgrunError('SUPERVISOR_FAILED', `'${record.name}' was removed while starting`);
    if (current.pid !== null && current.status === 'running') break;
    if (current.status === 'errored' || current.status === 'exited') break;
    if (!isSameProcessAlive(supervisor.pid, supervisor.identity)) supervisor = successorOf(ctx, supervisor, record.name);
    const now = Date.now();
    const size = fileSize(ctx.paths.supervisorLog);
    if (size !== seenLog) {
      seenLog = size;
      stallDeadline = now + STALL_TIMEOUT_MS;
    }
    if (now > stallDeadline || now > deadline) {
      const why = now > deadline ? `within ${LAUNCH_TIMEOUT_MS / 1000} s` : `and did nothing for ${STALL_TIMEOUT_MS / 1000} s`;
      throw new BgrunError('SUPERVISOR_FAILED', `the supervisor (pid ${supervisor.pid}) did not start '${record.name}' ${why}; see ${ctx.paths.supervisorLog}`);
    }
    await sleep(pollMs);
    pollMs = Math.min(MAX_POLL_MS, pollMs * 1.25);
  }
  if (current.status === 'errored' && current.startError) throw new StartError('SPAWN_FAILED', current.startError);
  // --wait 0 asks for no crash watch: a run that has already ended and is due to be restarted
  // was launched all the same (plain mode would not have looked either). Giving up is still reported.
  if (waitMs <= 0 && current.status === 'exited' && (current.nextStartAt ?? null) !== null) {
    return { record: current, exitedCleanly: false };
  }
  let firstPid = current.pid;
  let restarts = current.restarts;
  const watchUntil = Date.now() + waitMs;
  while (Date.now() < watchUntil) {
    const same = current.pid === firstPid && current.status === 'running' && current.restarts === restarts;
    if (!same && !byEvent(current)) break;
    // A restart its schedule or a change of watched files asked for is no crash: watch the run it starts.
    if (!same && current.status === 'running' && current.pid !== null) {
      firstPid = current.pid;
      restarts = current.restarts;
    }
    await sleep(POLL_MS);
    current = readRecord(ctx.paths, record.name) ?? current;
  }
  const crashed = current.pid !== firstPid || current.status !== 'running' || current.restarts !== restarts;
  // Between a planned stop and its start when the time ran out: started all the same.
  if (!crashed || byEvent(current)) return { record: current, exitedCleanly: false };
  // Exit 0, or a code of --stop-exit-codes: the program says it is done, not that it failed.
  if (current.signal === null && (current.exitCode === 0 || (current.exitCode !== null && (current.stopExitCodes ?? []).includes(current.exitCode)))) {
    return { record: current, exitedCleanly: true, endedPid: firstPid };
  }
  const error = new ExitedAtStartError({
    appName: record.name,
    exitCode: current.exitCode,
    signal: current.signal,
    stderrTail: readErrorReport(current.errLog, errFrom),
    errLog: current.errLog,
  });
  const followUp =
    current.status === 'errored'
      ? 'bgrun gave up restarting it'
      : current.restart === 'no'
        ? startsOnEvents(current)
          ? `not restarted (--restart no); ${current.cronRestart ? 'its --cron-restart schedule' : 'a change of watched files'} starts it again; stop it with 'bgrun stop ${record.name}'`
          : 'not restarted (--restart no)'
        : `bgrun keeps restarting it (--restart ${current.restart}); stop it with 'bgrun stop ${record.name}'`;
  // Stopped by bgrun, not killed by someone: say why.
  if (current.restartedFor === 'memory' || current.restartedFor === 'unhealthy') {
    const why = current.restartedFor === 'memory' ? `it went over --max-memory` : `its health check failed`;
    error.message = `'${record.name}' was restarted by bgrun right after starting: ${why}; its stderr is in ${current.errLog}`;
  }
  error.message = `${error.message}; ${followUp}`;
  throw error;
}
