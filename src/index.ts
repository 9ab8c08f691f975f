/**
 * bgrun as a library: the same functions the commands call.
 *
 *   import { start, list, stop } from 'bgrun';
 *   const web = await start({ script: 'server.js', name: 'web' });
 */
import { type ContextOptions, createContext } from './context.js';
import type { LaunchResult } from './core/lifecycle/launch.js';
import { listApps } from './core/lifecycle/list.js';
import { type FlushOptions, type FlushResult, flushLogs } from './core/logs/flush.js';
import { selectLines, timeIndexed } from './core/logs/select.js';
import { parseSince } from './core/logs/since.js';
import type { ProcessInfo } from './core/records/record.js';
import { removeRecord } from './core/lifecycle/remove.js';
import { type RestartOptions, restartRecord } from './core/lifecycle/restart.js';
import type { AppConfig } from './config/define-config.js';
import { startAppConfig } from './config/start-config.js';
import { toInfo } from './core/lifecycle/status.js';
import { type StopOptions, type StopResult, stopRecords } from './core/lifecycle/stop.js';
import { resolveTargets } from './core/records/targets.js';

export * from './errors.js';
export type { ProcessInfo, RecordOrigin, RestartPolicy, Status } from './core/records/record.js';
export type { StartOptions } from './core/lifecycle/start.js';
export { defineConfig } from './config/define-config.js';
export type { AppConfig, BgrunConfig, Duration, Size } from './config/define-config.js';
export type { StopOptions, StopResult } from './core/lifecycle/stop.js';
export type { RestartOptions } from './core/lifecycle/restart.js';
export type { ContextOptions } from './core/context.js';
export type { FlushOptions, FlushResult } from './core/logs/flush.js';

export type Target = string | number;
const asTargets = (t: Target | Target[]) => (Array.isArray(t) ? t : [t]).map(String);

function info(result: LaunchResult): ProcessInfo {
  return toInfo([result.record])[0]!;
}

/**
 * Starts a program detached, from the keys of a config entry (AppConfig);
 * resolves to its record once the grace period and its `ready` probe passed.
 * `dependsOn` names programs bgrun already runs: it waits until they are ready.
 */
export async function start(app: AppConfig & { home?: string }, options: ContextOptions = {}): Promise<ProcessInfo> {
  const { home, ...entry } = app;
  return info(await startAppConfig(createContext({ ...options, home: options.home ?? home }), entry));
}

export async function list(options: ContextOptions = {}): Promise<ProcessInfo[]> {
  return (await listApps(createContext(options))).processes;
}

/** Stops programs by name, pid or 'all', with their whole process tree. */
export async function stop(target: Target | Target[], options: StopOptions & ContextOptions = {}): Promise<StopResult[]> {
  const ctx = createContext(options);
  return stopRecords(ctx, resolveTargets(ctx, asTargets(target)), options);
}

export async function restart(target: Target | Target[], options: RestartOptions & ContextOptions = {}): Promise<ProcessInfo[]> {
  const ctx = createContext(options);
  const out: ProcessInfo[] = [];
  for (const record of resolveTargets(ctx, asTargets(target))) out.push(info(await restartRecord(ctx, record, options)));
  return out;
}

export async function remove(target: Target | Target[], options: StopOptions & ContextOptions = {}): Promise<StopResult[]> {
  const ctx = createContext(options);
  return Promise.all(resolveTargets(ctx, asTargets(target)).map((r) => removeRecord(ctx, r, options)));
}

/**
 * The last lines of a program's logs, read on into the rotated copies when the
 * log was just rotated. With `since` (a duration such as '10m', a time, or a
 * Date): every line since then, by the ISO 8601 times the program's lines
 * start with (lines without one go with the line before).
 */
export async function logs(
  target: Target,
  options: ContextOptions & { lines?: number; since?: string | Date } = {},
): Promise<{ out: string[]; err: string[] }> {
  const ctx = createContext(options);
  const [record] = resolveTargets(ctx, asTargets(target));
  const since = options.since === undefined ? null : options.since instanceof Date ? options.since.getTime() : parseSince(options.since);
  const pick = (file: string) =>
    selectLines(file, { lines: options.lines, since, indexed: timeIndexed(record!, file) }).lines;
  return { out: pick(record!.outLog), err: pick(record!.errLog) };
}

/** Empties programs' logs in place (they keep logging) and removes the rotated copies unless `keepRotated`. */
export async function flush(target: Target | Target[], options: FlushOptions & ContextOptions = {}): Promise<FlushResult[]> {
  const ctx = createContext(options);
  const out: FlushResult[] = [];
  for (const record of resolveTargets(ctx, asTargets(target))) out.push(await flushLogs(ctx, record, options));
  return out;
}

export type { SaveResult, ResurrectResult, ResurrectAction } from './persist/dump.js';
export type { ExportOptions, ExportedUnit } from './export/systemd.js';

/** Records which programs should come back (those meant to be running) in dump.json, for `resurrect()`. */
export async function save(options: ContextOptions = {}): Promise<import('./persist/dump.js').SaveResult> {
  return (await import('./persist/dump.js')).saveDump(createContext(options));
}

/** Starts every saved program that is not running, never a second copy; null when nothing was saved. */
export async function resurrect(
  options: ContextOptions & { waitMs?: number } = {},
): Promise<import('./persist/dump.js').ResurrectResult[] | null> {
  return (await import('./persist/dump.js')).resurrect(createContext(options), options);
}

/** A native systemd unit per program (name, pid or 'all'); written to `outputDir` when given. */
export async function exportSystemd(
  target: Target | Target[],
  options: import('./export/systemd.js').ExportOptions & ContextOptions = {},
): Promise<import('./export/systemd.js').ExportedUnit[]> {
  return (await import('./export/systemd.js')).exportSystemd(createContext(options), asTargets(target), options);
}
