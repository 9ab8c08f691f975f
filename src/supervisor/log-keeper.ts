import fs from 'node:fs';
import type { Context } from '../core/context.js';
import { type LogLimits, logLimits } from '../core/logs/limits.js';
import { rotateIfOver, withLogLock } from '../core/logs/rotate.js';
import { appendTime } from '../core/logs/times.js';
import type { ProcessRecord } from '../core/records/record.js';
import { isSupervised } from '../core/records/supervised.js';
import { plainLogsNeedKeeping } from './needs.js';
import { Round } from './round.js';

/**
 * The log keeper: the supervisor's part that keeps logs within their limits and
 * writes their time index, for supervised programs and for plain programs that
 * asked for a limit (`--max-log-size`) or times (`--log-time`).
 *
 * It reacts to growth as it happens (fs.watch on each log, a change notification
 * per write) and checks every log on the supervisor's tick too, in case a
 * notification was missed. Programs never depend on it: they write their logs
 * through their own descriptors, so if the keeper is gone the logs keep growing
 * (past their limit, with coarser times) until the next supervisor takes over.
 */

/** At most one index entry per log per this many ms: `logs -t` is this precise while the keeper runs. */
export const OBSERVE_MS = 100;
/** Rotations of one log more often than this per second are summed up in supervisor.log every SUMMARY_MS instead of one line each. */
const QUIET_RATE = 5;
/** A pause of the watch shorter than this is not worth closing and opening it again. */
const PAUSE_MIN_MS = 5;
/** A writer faster than this (bytes per ms: 1 MB/s) is watched without pauses: it reaches any limit soon. */
const PAUSE_MAX_RATE = 1000;
const SUMMARY_MS = 10_000;
/**
 * The tick's check of logs that are watched (a notification per write) is only a safety
 * net for a lost notification: it goes round them this many ticks at a time, at least
 * CHECKS_PER_TICK a tick, instead of a stat of every log on every tick (2,000 stats each
 * 500 ms with 1,000 programs, the largest part of an idle supervisor's CPU).
 */
const ROUND_TICKS = 20;
const CHECKS_PER_TICK = 50;

function keptBy(r: ProcessRecord): boolean {
  if (!isSupervised(r)) return plainLogsNeedKeeping(r);
  return r.desired === 'running' && (logLimits(r) !== null || r.logTime === true);
}

interface Kept {
  file: string;
  limits: LogLimits | null;
  compress: boolean;
  times: boolean;
  watcher: fs.FSWatcher | null;
  /** The size seen last: a smaller one means someone else emptied the log (flush). */
  lastSize: number;
  lastEntryAt: number;
  lastEntryOffset: number;
  scheduled: boolean;
  rotating: boolean;
  timer: NodeJS.Timeout | null;
  /** Set while the watch is paused (the log is far from its limit): when it resumes. */
  rearm: NodeJS.Timeout | null;
  lastCheckAt: number;
  /** Growth seen between the last two checks, in bytes per ms. */
  rate: number;
  stats: { since: number; rotations: number; copied: number; dropped: number; lastLogged: number[] };
}

export class LogKeeper {
  private readonly kept = new Map<string, Kept>();
  private closed = false;
  /** The records the kept logs were last brought in line with: the same list again needs no new look. */
  private synced: ProcessRecord[] | null = null;
  private readonly round = new Round<Kept>(ROUND_TICKS, CHECKS_PER_TICK);

  constructor(
    private readonly ctx: Context,
    private readonly log: (line: string) => void,
  ) {}

  /** How many logs are kept: the supervisor stays while there are any. */
  get count(): number {
    return this.kept.size;
  }

  /**
   * Brings the kept logs in line with the records (when they are not the same list as
   * last time); then checks those that are not watched, and a share of those that are (the tick).
   */
  sync(records: ProcessRecord[]): void {
    if (this.closed) return;
    if (records !== this.synced) this.follow(records);
    this.synced = records;
    for (const k of this.kept.values()) {
      if (!k.watcher && !k.rearm) {
        this.watch(k);
        this.check(k);
      }
    }
    for (const k of this.round.next(() => this.kept.values(), this.kept.size)) if (this.kept.get(k.file) === k) this.check(k);
  }

  private follow(records: ProcessRecord[]): void {
    const wanted = new Map<string, { limits: LogLimits | null; compress: boolean; times: boolean }>();
    for (const r of records) {
      if (!keptBy(r)) continue;
      for (const file of new Set([r.outLog, r.errLog])) {
        const limits = logLimits(r);
        const prev = wanted.get(file);
        // A log shared by programs keeps the smallest limit any of them asked for.
        const smaller = !prev?.limits || (limits !== null && limits.maxBytes < prev.limits.maxBytes) ? limits : prev.limits;
        wanted.set(file, {
          limits: smaller ?? prev?.limits ?? null,
          compress: (prev?.compress ?? false) || r.compressLogs === true,
          times: (prev?.times ?? false) || r.logTime === true,
        });
      }
    }
    for (const [file, k] of this.kept) if (!wanted.has(file)) this.forget(k);
    for (const [file, want] of wanted) {
      let k = this.kept.get(file);
      // New: watched and checked on this tick (sync), not when the round comes to it.
      if (!k) k = this.keep(file);
      k.limits = want.limits;
      k.compress = want.compress;
      k.times = want.times;
    }
  }

  /** Stops watching; the logs are left as they are. */
  close(): void {
    this.closed = true;
    for (const k of this.kept.values()) this.forget(k);
  }

  private keep(file: string): Kept {
    let size = 0;
    try {
      size = fs.statSync(file).size;
    } catch {
      // not there yet
    }
    const k: Kept = {
      file,
      limits: null,
      compress: false,
      times: false,
      watcher: null,
      lastSize: size,
      lastEntryAt: 0,
      lastEntryOffset: 0,
      scheduled: false,
      rotating: false,
      timer: null,
      rearm: null,
      lastCheckAt: Date.now(),
      rate: 0,
      stats: { since: Date.now(), rotations: 0, copied: 0, dropped: 0, lastLogged: [] },
    };
    this.kept.set(file, k);
    return k;
  }

  private forget(k: Kept): void {
    k.watcher?.close();
    k.watcher = null;
    if (k.timer) clearTimeout(k.timer);
    k.timer = null;
    if (k.rearm) clearTimeout(k.rearm);
    k.rearm = null;
    this.flushStats(k, true);
    this.kept.delete(k.file);
  }

  /** A change notification per write; checks are folded so a fast writer costs one check per turn of the event loop. */
  private watch(k: Kept): void {
    try {
      k.watcher = fs.watch(k.file, { persistent: false }, () => this.soon(k));
      k.watcher.on('error', () => {
        k.watcher?.close();
        k.watcher = null; // watched again on the next tick (the log was removed and comes back)
      });
    } catch {
      k.watcher = null; // not there yet: the tick checks it and watches it once it exists
    }
  }

  private soon(k: Kept): void {
    if (k.scheduled || this.closed) return;
    k.scheduled = true;
    setImmediate(() => {
      k.scheduled = false;
      if (this.kept.get(k.file) !== k) return;
      this.check(k);
      this.pace(k);
    });
  }

  /**
   * A notification per write costs a callback per write: at an ordinary rate, far
   * from the limit, the watch pauses for half the time the log needs to reach its
   * limit at its current rate (at most OBSERVE_MS), then checks and watches again.
   * Close to the limit, or for a runaway writer, it stays on.
   */
  private pace(k: Kept): void {
    let delay = OBSERVE_MS;
    if (k.limits) {
      const remaining = k.limits.maxBytes - k.lastSize;
      delay = k.rate > 0 ? Math.min(OBSERVE_MS, remaining / k.rate / 2) : OBSERVE_MS;
    }
    if (delay < PAUSE_MIN_MS || k.rate > PAUSE_MAX_RATE || !k.watcher) return;
    k.watcher.close();
    k.watcher = null;
    k.rearm = setTimeout(() => {
      k.rearm = null;
      if (this.kept.get(k.file) !== k) return;
      this.watch(k);
      this.check(k);
    }, delay);
  }

  private check(k: Kept): void {
    let size: number;
    try {
      size = fs.statSync(k.file).size;
    } catch {
      return;
    }
    if (size < k.lastSize) k.lastEntryOffset = 0; // emptied by a flush (which emptied the index too)
    const now = Date.now();
    // The fastest recent growth, decaying: one slow interval does not make a fast writer look calm.
    if (now > k.lastCheckAt) k.rate = Math.max(Math.max(0, size - k.lastSize) / (now - k.lastCheckAt), k.rate / 2);
    k.lastCheckAt = now;
    k.lastSize = size;
    if (k.times) this.observe(k, size);
    if (k.limits && size > k.limits.maxBytes && !k.rotating) void this.rotate(k, k.limits);
  }

  /** One index entry when the log grew, at most every OBSERVE_MS; a timer takes the last growth of a burst. */
  private observe(k: Kept, size: number): void {
    if (size <= k.lastEntryOffset || k.rotating) return;
    const now = Date.now();
    const due = k.lastEntryAt + OBSERVE_MS;
    if (now < due) {
      if (!k.timer) {
        k.timer = setTimeout(() => {
          k.timer = null;
          if (this.kept.get(k.file) === k) this.check(k);
        }, due - now);
      }
      return;
    }
    try {
      appendTime(k.file, size, now);
      k.lastEntryOffset = size;
      k.lastEntryAt = now;
    } catch (error) {
      // A full disk: the log itself fails the same way; times get coarser, nothing else breaks.
      k.lastEntryAt = now + 10 * OBSERVE_MS;
      this.note(k, `cannot write the time index of ${k.file}: ${(error as Error).message}`);
    }
  }

  private async rotate(k: Kept, limits: LogLimits): Promise<void> {
    k.rotating = true;
    try {
      const result = await withLogLock(this.ctx.paths, () => rotateIfOver(k.file, limits.maxBytes, limits.maxFiles, { compress: k.compress }));
      if (result) {
        k.lastSize = 0;
        k.lastEntryOffset = 0;
        this.record(k, result.copiedBytes, result.droppedBytes, result.windowNs);
      }
    } catch (error) {
      this.note(k, `error: ${(error as Error).message}`);
    } finally {
      k.rotating = false;
    }
    if (this.kept.get(k.file) === k) this.soon(k);
  }

  /** One line per rotation while they are rare; a sum every SUMMARY_MS when a writer makes them frequent. */
  private record(k: Kept, copied: number, dropped: number, windowNs: number): void {
    const s = k.stats;
    const now = Date.now();
    s.lastLogged = s.lastLogged.filter((t) => now - t < 1000);
    if (s.lastLogged.length < QUIET_RATE && s.rotations === 0) {
      s.lastLogged.push(now);
      const lost = dropped > 0 ? `; ${dropped} bytes dropped: the program writes faster than its log can be rotated` : '';
      this.log(`rotated ${k.file} (${copied} bytes copied; ${Math.round(windowNs / 1000)} µs from the last read to the end of the truncate${lost})`);
      s.since = now;
      return;
    }
    s.rotations++;
    s.copied += copied;
    s.dropped += dropped;
    this.flushStats(k, false);
  }

  private flushStats(k: Kept, force: boolean): void {
    const s = k.stats;
    const now = Date.now();
    if (s.rotations === 0 || (!force && now - s.since < SUMMARY_MS)) return;
    const dropped = s.dropped > 0 ? `, ${s.dropped} bytes dropped: the program writes faster than its log can be rotated` : '';
    this.log(`rotated ${k.file} ${s.rotations} more times in ${Math.round((now - s.since) / 1000)} s (${s.copied} bytes copied${dropped})`);
    s.rotations = 0;
    s.copied = 0;
    s.dropped = 0;
    s.since = now;
  }

  /** Errors once a minute per log at most: a full disk must not fill supervisor.log too. */
  private readonly noted = new Map<string, number>();
  private note(k: Kept, message: string): void {
    const last = this.noted.get(k.file) ?? 0;
    if (Date.now() - last < 60_000) return;
    this.noted.set(k.file, Date.now());
    this.log(message);
  }
}
