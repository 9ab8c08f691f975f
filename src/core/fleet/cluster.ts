/**
 * Cluster mode for Node programs (`--cluster`, pm2 `exec_mode: "cluster"`):
 * the app's record runs bgrun's small primary (src/cluster/primary.ts, shipped
 * in dist), which forks `instances` workers of the unchanged program with
 * Node's cluster module, so they share the app's listening port. The record is
 * one program to bgrun (stop, restart, supervision, logs: the workers write to
 * the primary's log files); reload and scale go to the primary through a
 * control file and SIGUSR2, and it reports in a state file.
 */
import fs from 'node:fs';
import path from 'node:path';
import { AlreadyRunningError, ReloadError, StartError } from '../../errors.js';
import { installFile } from '../../install-root.js';
import type { Context } from '../context.js';
import { DEFAULT_WAIT_MS, type LaunchResult, launchAny } from '../lifecycle/launch.js';
import { type PreparedStart, type StartOptions, inheritedEnv, newRecord, prepareStart } from '../lifecycle/start.js';
import { observe } from '../lifecycle/status.js';
import type { StatePaths } from '../paths.js';
import { readProcess } from '../processes/process-info.js';
import { signalIfSame } from '../processes/identity.js';
import { nameFromProgram } from '../records/names.js';
import type { ProcessRecord } from '../records/record.js';
import { writeRecordEnv } from '../records/record-env.js';
import { readRecord, withLock, writeFileAtomic, writeRecord } from '../records/registry.js';
import { DEFAULT_INSTANCE_VAR } from './instance-env.js';
import type { ReloadOptions, ReloadResult } from './reload.js';

export interface ClusterState {
  pid: number;
  instances: number;
  workers: { index: number; pid: number | null }[];
  reloads: Record<string, string>;
}

const RELOAD_READY_TIMEOUT_MS = 30_000;
const KILL_TIMEOUT_MS = 10_000;

function clusterDir(paths: StatePaths): string {
  return path.join(paths.home, 'cluster');
}

export function clusterFiles(paths: StatePaths, name: string): { control: string; state: string } {
  const dir = clusterDir(paths);
  return { control: path.join(dir, `${name}.control.json`), state: path.join(dir, `${name}.state.json`) };
}

export function readClusterState(paths: StatePaths, name: string): ClusterState | null {
  try {
    return JSON.parse(fs.readFileSync(clusterFiles(paths, name).state, 'utf8')) as ClusterState;
  } catch {
    return null;
  }
}

const NODE = /^(node|nodejs)(\d+)?(\.exe)?$/;

interface NodeCommand {
  node: string;
  execArgv: string[];
  script: string;
  args: string[];
}

/** The worker's node options, script and arguments, from the command bgrun resolved; null for a program that Node does not run. */
function splitNodeCommand(command: string[], args: string[]): NodeCommand | null {
  const node = command[0]!;
  if (node !== process.execPath && !NODE.test(path.basename(node))) return null;
  const at = command.length - args.length - 1;
  if (at < 1) return null;
  return { node, execArgv: command.slice(1, at), script: command[at]!, args: command.slice(at + 1) };
}

const NODE_MAJOR = Number(process.versions.node.split('.')[0]);

/**
 * The primary only forks and relays: a small heap and V8's lite mode keep it small, as
 * for the supervisor (src/supervisor/ensure.ts). Only with the Node that runs bgrun,
 * whose flags are known; the workers get the program's own options (execArgv), not these.
 */
function primaryFlags(node: string): string[] {
  if (node !== process.execPath) return [];
  return ['--max-old-space-size=32', '--max-semi-space-size=1', ...(NODE_MAJOR === 20 || NODE_MAJOR === 22 ? ['--no-expose-wasm'] : []), '--lite-mode'];
}

/** A cluster start's checks (startApp's, then a Node program and the primary's file), nothing written. */
export function prepareCluster(ctx: Context, options: StartOptions): { prepared: PreparedStart; node: NodeCommand; primary: string } {
  const prepared = prepareStart(ctx, options);
  const node = splitNodeCommand(prepared.command, prepared.args);
  if (!node) {
    throw new StartError(
      'CLUSTER_UNSUPPORTED',
      `cluster mode runs Node programs only (it uses Node's cluster module), and ${options.script} runs with ${path.basename(prepared.command[0]!)}; use --instances without --cluster, each copy on its own port (--increment-var PORT)`,
    );
  }
  const primary = installFile('dist/cluster/primary.js');
  if (!primary || !fs.existsSync(primary)) throw new StartError('SPAWN_FAILED', 'cluster mode needs dist/cluster/primary.js of this installation; reinstall bgrun');
  return { prepared, node, primary };
}

/** `bgrun start --cluster -i N`: one record, the primary, named after the app. */
export async function startCluster(ctx: Context, options: StartOptions): Promise<LaunchResult> {
  const { prepared, node, primary } = prepareCluster(ctx, options);
  const count = options.instances ?? 1;
  const name = options.name ?? nameFromProgram(options.script);
  const files = clusterFiles(ctx.paths, name);
  fs.mkdirSync(clusterDir(ctx.paths), { recursive: true, mode: 0o700 });
  const settings = {
    instances: count,
    execArgv: node.execArgv,
    instanceVar: options.instanceVar || DEFAULT_INSTANCE_VAR,
    control: files.control,
    state: files.state,
    killTimeoutMs: KILL_TIMEOUT_MS,
    readyTimeoutMs: options.readyTimeoutMs ?? RELOAD_READY_TIMEOUT_MS,
  };
  const record = await withLock(ctx.paths, () => {
    const existing = readRecord(ctx.paths, name);
    if (existing) {
      const seen = observe(existing).record;
      if (seen.status === 'running' || seen.status === 'starting') throw new AlreadyRunningError(name, seen.pid ?? 0);
    }
    if (readRecord(ctx.paths, `${name}.0`)?.app === name) {
      throw new StartError('NAME_TAKEN', `'${name}' is the name of an app with copies (${name}.0, …); choose another --name`);
    }
    const fresh: ProcessRecord = {
      ...newRecord(
        ctx,
        { ...options, cluster: true },
        { ...prepared, command: [node.node, ...primaryFlags(node.node), primary, JSON.stringify(settings), node.script, ...node.args] },
        name,
      ),
      cluster: true,
      instances: count,
      instanceVar: options.instanceVar ?? null,
    };
    writeFileAtomic(files.control, `${JSON.stringify({ instances: count })}\n`);
    writeRecordEnv(ctx.paths, name, inheritedEnv(ctx));
    writeRecord(ctx.paths, fresh);
    return fresh;
  });
  return launchAny(ctx, record, options.waitMs ?? DEFAULT_WAIT_MS);
}

/** Signals the primary of a running cluster record, identity checked. */
function signalPrimary(record: ProcessRecord, signal: NodeJS.Signals): void {
  const seen = observe(record).record;
  const info = seen.pid === null ? null : readProcess(seen.pid);
  if (seen.status !== 'running' || !info || info.dead || info.identity !== seen.identity) {
    throw new ReloadError('NOTHING_RUNNING', `'${record.name}' is not running; start it with 'bgrun start ${record.name}'`);
  }
  // Through the one check before every signal (core/processes/identity.ts): it may have ended since.
  if (!signalIfSame({ pid: seen.pid!, identity: seen.identity }, signal)) {
    throw new ReloadError('NOTHING_RUNNING', `'${record.name}' is not running; start it with 'bgrun start ${record.name}'`);
  }
}

function writeControl(paths: StatePaths, record: ProcessRecord, change: { instances?: number; reload?: string }): void {
  const files = clusterFiles(paths, record.name);
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(fs.readFileSync(files.control, 'utf8'));
  } catch {
    // none yet
  }
  writeFileAtomic(files.control, `${JSON.stringify({ instances: record.instances ?? 1, ...current, ...change })}\n`);
}

/** Worker by worker: a new worker listening before the old one is disconnected. */
export async function reloadCluster(ctx: Context, record: ProcessRecord, options: ReloadOptions): Promise<ReloadResult> {
  const before = readClusterState(ctx.paths, record.name);
  const id = `${process.pid}-${Date.now()}`;
  writeControl(ctx.paths, record, { reload: id });
  signalPrimary(record, 'SIGUSR2');
  const workers = Math.max(1, before?.workers.length ?? record.instances ?? 1);
  const deadline = Date.now() + workers * ((record.readyTimeoutMs ?? RELOAD_READY_TIMEOUT_MS) + KILL_TIMEOUT_MS) + 5000;
  for (;;) {
    const state = readClusterState(ctx.paths, record.name);
    const outcome = state?.reloads[id];
    if (outcome === 'done') {
      const steps = (state?.workers ?? []).map((w) => {
        const oldPid = before?.workers.find((b) => b.index === w.index)?.pid ?? null;
        const step = { name: `${record.name} worker ${w.index}`, oldPid, result: { record: { ...record, pid: w.pid }, exitedCleanly: false } };
        options.onStep?.(step, 'cluster');
        return step;
      });
      return { app: record.name, how: 'cluster', steps };
    }
    if (outcome !== undefined) throw new ReloadError('RELOAD_FAILED', `reload of '${record.name}' stopped: ${outcome.replace(/^failed: /, '')}`);
    if (observe(record).record.status !== 'running') throw new ReloadError('RELOAD_FAILED', `reload of '${record.name}' stopped: its primary is gone`);
    if (Date.now() > deadline) throw new ReloadError('RELOAD_FAILED', `reload of '${record.name}' did not finish in time; see 'bgrun logs ${record.name}'`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Scale of a cluster app: the primary forks or retires workers; the record keeps the count. */
export async function scaleCluster(ctx: Context, record: ProcessRecord, count: number): Promise<{ from: number; to: number }> {
  const from = readClusterState(ctx.paths, record.name)?.workers.length ?? record.instances ?? 1;
  await withLock(ctx.paths, () => {
    const current = readRecord(ctx.paths, record.name);
    if (current) writeRecord(ctx.paths, { ...current, instances: count });
  });
  writeControl(ctx.paths, record, { instances: count });
  signalPrimary(record, 'SIGUSR2');
  const deadline = Date.now() + 30_000 + KILL_TIMEOUT_MS;
  for (;;) {
    const state = readClusterState(ctx.paths, record.name);
    if (state && state.instances === count && state.workers.length === count) return { from, to: count };
    if (Date.now() > deadline) throw new StartError('SPAWN_FAILED', `'${record.name}' did not reach ${count} workers in time; see 'bgrun logs ${record.name}'`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
