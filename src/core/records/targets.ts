import { AmbiguousTargetError, TargetNotFoundError } from '../../errors.js';
import type { Context } from '../context.js';
import { validateName } from './names.js';
import { readProcess } from '../processes/process-info.js';
import type { ProcessRecord } from './record.js';
import { readRecords } from './registry.js';

export interface TargetOptions {
  /**
   * The pid of an ended run (a stopped program's `lastPid`) names its program too: for `show`,
   * which only reads. Commands that act never take it: the pid may since be another process's.
   */
  pastPids?: boolean;
}

/** One thing a target could mean: the records it names, and how it names them (for the ambiguity message). */
interface Meaning {
  records: ProcessRecord[];
  how: string;
}

/**
 * Turns what the user typed (names, app names of copies, display names, `@namespace`, pids, `all`) into
 * records. A program's own name always wins: the other meanings are looked at only when no program has
 * that name, and when they point at more than one app, the target is refused with the candidates rather
 * than guessed (a wrong guess signals the wrong process). A pid matches only a record bgrun started with
 * that pid: bgrun never signals a stranger.
 */
export function resolveTargets(ctx: Context, targets: string[], options: TargetOptions = {}): ProcessRecord[] {
  const { records } = readRecords(ctx.paths);
  const chosen = new Map<string, ProcessRecord>();
  for (const target of targets) {
    for (const r of resolveTarget(records, target, options)) chosen.set(r.name, r);
  }
  return [...chosen.values()];
}

function resolveTarget(records: ProcessRecord[], target: string, options: TargetOptions): ProcessRecord[] {
  if (target === 'all') return records;
  // Names are unique, so an exact name is never ambiguous.
  const named = records.find((r) => r.name === target);
  if (named) return [named];

  const meanings: Meaning[] = [];
  const pid = /^\d+$/.test(target) ? Number(target) : null;
  if (pid !== null) {
    const record = byPid(records, pid) ?? (options.pastPids ? pastRun(records, pid, true) : undefined);
    if (record) meanings.push({ records: [record], how: `pid ${pid}` });
  }
  if (target.startsWith('@')) {
    // A namespace (pm2 `namespace`): '@' is never part of a name, so it cannot clash with one.
    const members = records.filter((r) => r.namespace === target.slice(1));
    if (members.length > 0) meanings.push({ records: byInstance(members), how: `namespace ${target}` });
  }
  // The name of an app started with --instances: every copy of it.
  const copies = records.filter((r) => r.app === target);
  if (copies.length > 0) meanings.push({ records: byInstance(copies), how: `copies of app ${target}` });
  // A display name from a pm2 file ("My API") addresses its program (or its copies) as its safe name does.
  const byApp = new Map<string, ProcessRecord[]>();
  for (const r of records.filter((r) => r.displayName === target)) byApp.set(r.app ?? r.name, [...(byApp.get(r.app ?? r.name) ?? []), r]);
  for (const group of byApp.values()) meanings.push({ records: byInstance(group), how: 'display name' });

  const distinct = meanings.filter((m, i) => meanings.findIndex((o) => sameRecords(o.records, m.records)) === i);
  if (distinct.length > 1) {
    const listed = distinct.map((m) => `${m.records.map((r) => r.name).join(', ')} (${m.how})`).join('; ');
    throw new AmbiguousTargetError(target, `'${target}' is no program's name and could mean: ${listed}; give the exact name (see 'bgrun list')`);
  }
  if (distinct.length === 1) return distinct[0]!.records;

  if (pid !== null) throw pidNotFound(records, pid);
  if (target.startsWith('@')) {
    const ns = target.slice(1);
    validateName(ns);
    throw new TargetNotFoundError(target, `no program in namespace '${ns}'; see 'bgrun list'`);
  }
  validateName(target);
  throw new TargetNotFoundError(target, `no process named '${target}'; see 'bgrun list'`);
}

/** The record bgrun started with this pid, unless the pid now belongs to another process (pid reuse). */
function byPid(records: ProcessRecord[], pid: number): ProcessRecord | undefined {
  const holder = readProcess(pid);
  const reused = (r: ProcessRecord) => holder !== null && !holder.dead && holder.identity !== r.identity;
  return records.find((r) => r.pid === pid && !reused(r));
}

function sameRecords(a: ProcessRecord[], b: ProcessRecord[]): boolean {
  return a.length === b.length && a.every((r) => b.some((o) => o.name === r.name));
}

/** Copies of an app in index order; others keep their order. */
function byInstance(records: ProcessRecord[]): ProcessRecord[] {
  return [...records].sort((a, b) => (a.app === b.app ? (a.instance ?? 0) - (b.instance ?? 0) : 0));
}

/** The program whose last, ended run had this pid (the latest to end, if pid reuse made several); with `ended`, only one not running since. */
function pastRun(records: ProcessRecord[], pid: number, ended: boolean): ProcessRecord | undefined {
  const runs = records.filter((r) => r.lastPid === pid && (!ended || r.pid === null));
  return runs.sort((a, b) => Date.parse(b.endedAt ?? '') - Date.parse(a.endedAt ?? ''))[0];
}

/** Named by no current program: say so, and which program it was when bgrun knows (a pid since reused, an ended run). */
function pidNotFound(records: ProcessRecord[], pid: number): TargetNotFoundError {
  const target = String(pid);
  const was = records.find((r) => r.pid === pid);
  if (was) {
    return new TargetNotFoundError(target, `pid ${pid} is no longer '${was.name}' (that process ended; the pid now belongs to another one); see 'bgrun show ${was.name}'`, 'NOT_MANAGED');
  }
  const past = pastRun(records, pid, false);
  if (past?.pid != null) {
    return new TargetNotFoundError(target, `pid ${pid} was an earlier run of '${past.name}', which now runs as pid ${past.pid}; see 'bgrun show ${past.name}'`, 'NOT_MANAGED');
  }
  if (past) {
    // Never acted on: the pid of an ended run may since belong to any process.
    return new TargetNotFoundError(
      target,
      `pid ${pid} was '${past.name}', now ${past.status}: a pid names a program only while it runs (it may since belong to another process); use the name '${past.name}'`,
      'NOT_MANAGED',
    );
  }
  return new TargetNotFoundError(target, `pid ${pid} is not a program bgrun runs; see 'bgrun list'`, 'NOT_MANAGED');
}
