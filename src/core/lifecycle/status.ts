import type { Context } from '../context.js';
import { claimFromPidFile, programLeftovers } from '../processes/identity.js';
import { emptyPidFileResetAt } from '../processes/pidfile.js';
import { isSameProcessAlive, readUsage } from '../processes/process-info.js';
import type { ProcessInfo, ProcessRecord } from '../records/record.js';
import { isSupervised } from '../records/supervised.js';
import { withLock, readRecord, writeRecord } from '../records/registry.js';

/** A launch whose bgrun vanished (SIGKILL) is given this long for its pidfile to appear. */
const INTERRUPTED_LAUNCH_GRACE_MS = 5000;

export interface Observed {
  record: ProcessRecord;
  /** True when the record must be written back (an interrupted launch was recovered). */
  changed: boolean;
}

/**
 * The record with its status brought up to date from the system, without
 * writing anything: `list` and `show` stay read-only and lock-free.
 */
export function observe(record: ProcessRecord, now = Date.now()): Observed {
  // A pid without an identity could not be verified at launch (it was already gone): never trusted as alive.
  if (record.pid !== null) {
    if (isSameProcessAlive(record.pid, record.identity)) {
      return { record: record.status === 'running' ? record : { ...record, status: 'running' }, changed: false };
    }
    if (record.status === 'running' || record.status === 'starting') {
      // Dead, or its pid now belongs to another process: either way ours has ended.
      const status = record.desired === 'stopped' ? 'stopped' : 'exited';
      return { record: { ...record, status }, changed: false };
    }
    return { record, changed: false };
  }
  if (record.status !== 'starting') return { record, changed: false };

  // A launch in progress, or one whose launcher was killed between fork and record update.
  const claim = claimFromPidFile(record);
  if (claim) {
    return {
      record: { ...record, pid: claim.pid, identity: claim.identity, status: 'running', startedAt: new Date(claim.startedAt).toISOString() },
      changed: true,
    };
  }
  // The supervisor launches supervised programs; until it has, they are starting.
  if (isSupervised(record) && record.launcher === null) return { record, changed: false };
  const launcher = record.launcher;
  if (launcher !== null && isSameProcessAlive(launcher.pid, launcher.identity)) return { record, changed: false };
  // A launcher whose identity could not be taken is given a grace period instead.
  if ((launcher === null || launcher.identity === null) && now - Date.parse(record.createdAt) < INTERRUPTED_LAUNCH_GRACE_MS) {
    return { record, changed: false };
  }
  // Killed between its fork and the launch shell's write: the pidfile it reset right before
  // the fork is still empty, and the shell (slow to be scheduled on a loaded machine) may yet
  // write it. Settled now, the program would run untracked.
  const resetAt = emptyPidFileResetAt(record.pidFile);
  if (resetAt !== null && now - resetAt < INTERRUPTED_LAUNCH_GRACE_MS) return { record, changed: false };
  // Its bgrun is gone and no process of this launch can be found: settled for good, so that no
  // later process that happens to get the pid in its pidfile is ever taken for it.
  return {
    record: {
      ...record,
      status: 'errored',
      launcher: null,
      endedAt: record.endedAt ?? new Date(now).toISOString(),
      startError: INTERRUPTED_LAUNCH,
    },
    changed: true,
  };
}

export const INTERRUPTED_LAUNCH = 'its start was interrupted (the bgrun that launched it ended before recording a pid, and no process of that launch runs); start it again';

/**
 * Writes back what observing found: recovered launches (adopted through their pidfile)
 * and abandoned ones (settled as errored). Each is decided again under the lock from
 * the record as it is then; another bgrun may have done it first, which is fine.
 */
export async function persistObserved(ctx: Context, observed: Observed[]): Promise<void> {
  const changed = observed.filter((o) => o.changed);
  if (changed.length === 0) return;
  await withLock(ctx.paths, () => {
    for (const { record } of changed) {
      const current = readRecord(ctx.paths, record.name);
      if (!current || current.pid !== null || current.status !== 'starting') continue;
      const now = observe(current);
      if (now.changed) writeRecord(ctx.paths, now.record);
    }
  });
}

/** A program whose main process ended but whose process group still has live members (it forked and exited). */
function leftoversOf(r: ProcessRecord): { leftovers?: number[] } {
  if (r.status === 'running' || r.status === 'starting' || (r.pid === null && !r.strays)) return {};
  const left = programLeftovers(r.pid !== null ? { pid: r.pid, identity: r.identity, startedAt: r.startedAt } : null, r.strays);
  return left.length > 0 ? { leftovers: left.map((p) => p.pid) } : {};
}

/** The public view, with cpu and memory for running ones. */
export function toInfo(records: ProcessRecord[], now = Date.now()): ProcessInfo[] {
  const running = records.filter((r) => r.status === 'running' && r.pid !== null).map((r) => r.pid!);
  const usage = readUsage(running);
  return records.map((r) => {
    const u = r.status === 'running' && r.pid !== null ? usage.get(r.pid) : undefined;
    const pid = r.status === 'running' || r.status === 'starting' ? r.pid : null;
    // An ended plain run keeps its pid in the record; a stop or the supervisor moves it to lastPid.
    const lastPid = pid === null ? (r.pid ?? r.lastPid ?? null) : null;
    return {
      name: r.name,
      pid,
      status: r.status,
      exitCode: r.exitCode,
      signal: r.signal,
      restarts: r.restarts,
      command: r.command,
      script: r.script,
      args: r.args,
      cwd: r.cwd,
      restart: r.restart,
      nextStartAt: r.nextStartAt ?? null,
      unhealthy: r.status === 'running' && r.unhealthy === true,
      createdAt: r.createdAt,
      startedAt: r.startedAt,
      endedAt: r.endedAt,
      uptimeMs: r.status === 'running' && r.startedAt ? Math.max(0, now - Date.parse(r.startedAt)) : null,
      cpu: u ? Math.round(u.cpu * 10) / 10 : null,
      memory: u ? u.memory : null,
      outLog: r.outLog,
      errLog: r.errLog,
      pidFile: r.pidFile,
      ...leftoversOf(r),
      ...(r.status === 'stopped' && r.stoppedAfter ? { stoppedAfter: r.stoppedAfter } : {}),
      ...(lastPid !== null ? { lastPid } : {}),
      ...(r.app !== undefined ? { app: r.app, instance: r.instance } : {}),
      ...(r.namespace ? { namespace: r.namespace } : {}),
    };
  });
}
