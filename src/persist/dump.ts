import fs from 'node:fs';
import path from 'node:path';
import { AlreadyRunningError, BgrunError, StateError, describeSystemError } from '../errors.js';
import type { Context } from '../core/context.js';
import { DEFAULT_WAIT_MS } from '../core/lifecycle/launch.js';
import { intentOf } from '../core/lifecycle/intent.js';
import { listApps } from '../core/lifecycle/list.js';
import { validateName } from '../core/records/names.js';
import { ensureState } from '../core/paths.js';
import { type ProcessRecord, RECORD_VERSION, checkRecord } from '../core/records/record.js';
import { isEnv, readRecordEnv, writeRecordEnv } from '../core/records/record-env.js';
import { readRecord, withLock, writeFileAtomic, writeRecord } from '../core/records/registry.js';
import { startExisting } from '../core/lifecycle/start.js';
import { observe } from '../core/lifecycle/status.js';
import { afterDependencies, walkDependencies } from '../config/order.js';
import { bgrunVersion } from '../version.js';

/**
 * `bgrun save` and `bgrun resurrect`. The dump names the programs that should
 * come back after a reboot and keeps a copy of their specs, so a program whose
 * record is gone can be recreated. Records stay the source of truth: a program
 * that still has a record is started from it, exactly as `bgrun start <name>` would.
 */

export const DUMP_VERSION = 1;

/** A record without what only describes one run (pid, status, times, counters), with its environment. */
export type SavedSpec = Omit<ProcessRecord, (typeof RUN_STATE_FIELDS)[number]> & { env: Record<string, string> };

export interface Dump {
  version: number;
  savedAt: string;
  bgrunVersion: string;
  programs: SavedSpec[];
}

/**
 * Observed state, left out of the dump. Everything else in a record is spec and
 * is kept, including fields added after this file was written.
 */
const RUN_STATE_FIELDS = [
  'desired',
  'status',
  'pid',
  'identity',
  'createdAt',
  'startedAt',
  'endedAt',
  'exitCode',
  'signal',
  'restarts',
  'launcher',
  'supervisedBy',
  'failures',
  'nextStartAt',
  'readyAt',
  'startError',
  'stoppedAfter',
  'lastPid',
] as const;

export function dumpFile(ctx: Context): string {
  return path.join(ctx.paths.home, 'dump.json');
}

function specOf(ctx: Context, record: ProcessRecord): SavedSpec {
  const spec: Record<string, unknown> = { ...record, env: readRecordEnv(ctx.paths, record.name) };
  for (const field of RUN_STATE_FIELDS) delete spec[field];
  return spec as SavedSpec;
}

/** A fresh, stopped record from a saved spec, and its environment; null when the spec is not a usable record. */
function recordFromSpec(saved: SavedSpec): { record: ProcessRecord; env: Record<string, string> } | null {
  const { env, ...spec } = saved;
  if (!isEnv(env)) return null;
  const record = {
    ...spec,
    version: RECORD_VERSION,
    desired: 'stopped',
    status: 'stopped',
    pid: null,
    identity: null,
    createdAt: new Date().toISOString(),
    startedAt: null,
    endedAt: null,
    exitCode: null,
    signal: null,
    restarts: 0,
    launcher: null,
    supervisedBy: null,
    failures: 0,
    nextStartAt: null,
  } as ProcessRecord;
  return checkRecord(record) === null ? { record, env } : null;
}

export interface SaveResult {
  file: string;
  names: string[];
  /** Programs left out: not meant to be running (stopped, finished, errored), as they were. */
  skipped: { name: string; status: ProcessRecord['status']; exitCode: number | null; signal: string | null }[];
}

/** Writes the dump: every program whose desired state is running, whatever its status now. */
export async function saveDump(ctx: Context): Promise<SaveResult> {
  ensureState(ctx.paths);
  const { records } = await listApps(ctx);
  // What is meant to be running: not what was stopped, finished (exit 0) or errored, which resurrect would only fail on at boot.
  const chosen = records.filter((r) => intentOf(r) === 'run');
  const skipped = records
    .filter((r) => intentOf(r) !== 'run')
    .map((r) => ({ name: r.name, status: r.status, exitCode: r.exitCode, signal: r.signal }));
  const dump: Dump = { version: DUMP_VERSION, savedAt: new Date().toISOString(), bgrunVersion: bgrunVersion(), programs: chosen.map((r) => specOf(ctx, r)) };
  const file = dumpFile(ctx);
  await withLock(ctx.paths, () => {
    try {
      writeFileAtomic(file, `${JSON.stringify(dump, null, 2)}\n`);
    } catch (error) {
      throw new StateError(`cannot write ${file}: ${describeSystemError(error)}`, error);
    }
  });
  return { file, names: chosen.map((r) => r.name), skipped };
}

/** The dump, or null when nothing was ever saved. */
export function readDump(ctx: Context): Dump | null {
  const file = dumpFile(ctx);
  let text: string;
  try {
    const fd = fs.openSync(file, fs.constants.O_RDONLY | (fs.constants.O_NOFOLLOW ?? 0));
    try {
      text = fs.readFileSync(fd, 'utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new StateError(`cannot read ${file}: ${describeSystemError(error)}`, error);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new StateError(`${file} is not valid JSON (${(error as Error).message}); run 'bgrun save' again`, error);
  }
  const dump = value as Partial<Dump> | null;
  if (typeof dump !== 'object' || dump === null || !Array.isArray(dump.programs)) {
    throw new StateError(`${file} has no list of programs; run 'bgrun save' again`);
  }
  return dump as Dump;
}

export type ResurrectAction = 'started' | 'recreated' | 'running' | 'failed';

export interface ResurrectResult {
  name: string;
  /** started: from its record; recreated: its record was gone and came from the dump; running: left alone. */
  action: ResurrectAction;
  pid: number | null;
  error: BgrunError | null;
}

/**
 * Makes sure a record exists for a saved program: writes one from the dump
 * when there is none. Returns false when the saved spec is unusable.
 */
async function ensureRecord(ctx: Context, spec: SavedSpec): Promise<'exists' | 'recreated' | 'unusable'> {
  return withLock(ctx.paths, () => {
    if (readRecord(ctx.paths, spec.name)) return 'exists';
    const recreated = recordFromSpec(spec);
    if (!recreated) return 'unusable';
    writeRecordEnv(ctx.paths, recreated.record.name, recreated.env);
    writeRecord(ctx.paths, recreated.record);
    return 'recreated';
  });
}

async function resurrectOne(ctx: Context, spec: SavedSpec, waitMs: number): Promise<ResurrectResult> {
  const name = String(spec.name);
  try {
    validateName(name);
    const existing = readRecord(ctx.paths, name);
    if (existing) {
      const seen = observe(existing).record;
      if (seen.status === 'running' || seen.status === 'starting') return { name, action: 'running', pid: seen.pid, error: null };
    }
    const state = await ensureRecord(ctx, spec);
    if (state === 'unusable') {
      throw new StateError(`the saved spec of '${name}' in ${dumpFile(ctx)} is not a usable record; run 'bgrun save' again`);
    }
    const launched = await startExisting(ctx, name, waitMs);
    return { name, action: state === 'recreated' ? 'recreated' : 'started', pid: launched.record.pid, error: null };
  } catch (error) {
    // Started meanwhile by someone else (another resurrect, a user): not a duplicate, not a failure.
    if (error instanceof AlreadyRunningError) return { name, action: 'running', pid: error.pid || null, error: null };
    const wrapped = error instanceof BgrunError ? error : new BgrunError('SPAWN_FAILED', String(error), { cause: error });
    return { name, action: 'failed', pid: null, error: wrapped };
  }
}

/**
 * Each saved program's dependencies among the saved ones. An edge that would close
 * a cycle (records started from different configs can form one) is dropped, so the
 * waiting below always ends.
 */
function dependencyGraph(specs: SavedSpec[]): Map<string, string[]> {
  const declared = new Map<string, string[]>();
  for (const spec of specs) {
    const deps = Array.isArray(spec.dependsOn) ? spec.dependsOn.filter((d): d is string => typeof d === 'string') : [];
    declared.set(String(spec.name), deps);
  }
  const graph = new Map<string, string[]>();
  walkDependencies(
    declared.keys(),
    (name) => (declared.get(name) ?? []).filter((dep) => declared.has(dep)),
    () => {}, // the edge back is dropped
    (name, kept) => graph.set(name, kept),
  );
  return graph;
}

/**
 * Starts every saved program that is not running, through the same path as
 * `bgrun start <name>` (supervised ones get their supervisor). Never starts a
 * second copy of one that runs. A program saved with `dependsOn` starts once
 * those it depends on are running and ready; the others start at once, side by side.
 * Null when nothing was ever saved.
 */
export async function resurrect(
  ctx: Context,
  options: { waitMs?: number; progress?: { setTotal(total: number): void; begin(name: string, detail?: string): void; end(name: string): void } } = {},
): Promise<ResurrectResult[] | null> {
  const dump = readDump(ctx);
  if (!dump) return null;
  const progress = options.progress;
  progress?.setTotal(dump.programs.length);
  ensureState(ctx.paths);
  const waitMs = options.waitMs ?? DEFAULT_WAIT_MS;
  const graph = dependencyGraph(dump.programs);
  const specs = new Map(dump.programs.map((spec) => [String(spec.name), spec]));
  const launched = afterDependencies<ResurrectResult>(graph, async (name, results) => {
    const spec = specs.get(name)!;
    progress?.begin(name, typeof spec.ready === 'string' ? `waiting for ${spec.ready}` : undefined);
    try {
      return await resurrectAfter(ctx, spec, results, waitMs);
    } finally {
      progress?.end(name);
    }
  });
  return Promise.all(dump.programs.map((spec) => launched.get(String(spec.name))!));
}

/** One saved program, once what it depends on has settled. */
async function resurrectAfter(ctx: Context, spec: SavedSpec, results: ResurrectResult[], waitMs: number): Promise<ResurrectResult> {
  const name = String(spec.name);
  const failed = results.filter((r) => r.action === 'failed').map((r) => `'${r.name}'`);
  if (failed.length > 0) {
    const error = new BgrunError('DEPENDENCY_FAILED', `not started: it depends on ${failed.join(', ')}, which did not start`);
    return { name, action: 'failed', pid: null, error };
  }
  try {
    for (const dep of results) if (dep.action === 'running') await awaitReady(ctx, dep.name);
  } catch (error) {
    const wrapped = error instanceof BgrunError ? error : new BgrunError('NOT_READY', String(error), { cause: error });
    return { name, action: 'failed', pid: null, error: wrapped };
  }
  return resurrectOne(ctx, spec, waitMs);
}

/** A dependency that was already running: wait for its probe, as a config start does. */
async function awaitReady(ctx: Context, name: string): Promise<void> {
  const record = readRecord(ctx.paths, name);
  if (!record?.ready) return;
  const { awaitRunningReady, DEFAULT_READY_TIMEOUT_MS } = await import('../core/ready/wait.js');
  await awaitRunningReady(ctx, record, record.ready, record.readyTimeoutMs ?? DEFAULT_READY_TIMEOUT_MS);
}
