import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import type { Context } from '../core/context.js';
import { signalIfSame } from '../core/processes/identity.js';
import { processIdentity } from '../core/processes/process-info.js';
import type { ProcessRecord } from '../core/records/record.js';
import { readRecords, withLock } from '../core/records/registry.js';
import { BgrunError, describeSystemError } from '../errors.js';
import { installFile } from '../install-root.js';
import { bgrunVersion } from '../version.js';
import { needsSupervisor } from './needs.js';
import { type SupervisorInfo, liveSupervisor, writeSupervisorInfo } from './supervisor-file.js';

/**
 * A small heap keeps the one resident process of supervised mode small, and V8's lite
 * mode (no optimising compiler, feedback allocated lazily) takes ~10 MB more off it: with
 * 200 programs 57.8 -> 48.4 MB on Node 20, 65.7 -> 53.6 MB on Node 22, at the same CPU
 * (a tick every 500 ms does not need optimised code). It turns off WebAssembly too; on
 * Node 20 and 22 saying so first (--no-expose-wasm) keeps V8 from warning about it in
 * supervisor.log. Node 24's V8 has no such flag (and no warning): there it would be a
 * "bad option" that keeps the supervisor from starting at all.
 */
const NODE_MAJOR = Number(process.versions.node.split('.')[0]);
const SUPERVISOR_NODE_OPTIONS = [
  '--max-old-space-size=64',
  '--max-semi-space-size=1',
  ...(NODE_MAJOR === 20 || NODE_MAJOR === 22 ? ['--no-expose-wasm'] : []),
  '--lite-mode',
];

/**
 * Whether the process has its SIGUSR2 handler yet (Linux: SigCgt in
 * /proc/<pid>/status). Until then the signal would kill a supervisor that is
 * still starting, and not waking it loses nothing: its first look at the
 * records is still to come. Where /proc is missing, assume it has.
 */
function handlesWake(pid: number): boolean {
  let status: string;
  try {
    status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return process.platform !== 'linux';
  }
  const caught = /^SigCgt:\s*([0-9a-fA-F]+)$/m.exec(status);
  if (!caught) return true;
  return ((BigInt(`0x${caught[1]}`) >> BigInt(os.constants.signals.SIGUSR2 - 1)) & 1n) === 1n;
}

/** `info` was verified by liveSupervisor; signalIfSame checks it is still that process. If it just exited, the next command starts another. */
function wake(info: SupervisorInfo): void {
  if (handlesWake(info.pid)) signalIfSame(info, 'SIGUSR2');
}

function spawnSupervisor(ctx: Context): SupervisorInfo {
  // Its own entry in dist/, not the CLI bundle: the supervisor loads once and stays.
  const main = installFile('dist/supervisor/main.js');
  if (main === null) throw new BgrunError('SUPERVISOR_FAILED', 'cannot find the bgrun installation (its package.json) to start the supervisor from; reinstall bgrun');
  let log: number;
  try {
    log = fs.openSync(ctx.paths.supervisorLog, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    throw new BgrunError('SUPERVISOR_FAILED', `cannot open ${ctx.paths.supervisorLog}: ${describeSystemError(error)}`, { cause: error });
  }
  try {
    // Only when a supervisor must be started: loading node:child_process is costly for every other command.
    const { spawn } = createRequire(import.meta.url)('node:child_process') as typeof import('node:child_process');
    const child = spawn(process.execPath, [...SUPERVISOR_NODE_OPTIONS, main], {
      cwd: ctx.paths.home,
      env: { ...ctx.env, BGRUN_HOME: ctx.paths.home, BGRUN_SUPERVISOR: '1' },
      detached: true,
      stdio: ['ignore', log, log],
    });
    if (child.pid === undefined) throw new BgrunError('SUPERVISOR_FAILED', `cannot start the supervisor with ${process.execPath}`);
    child.unref();
    const info: SupervisorInfo = {
      pid: child.pid,
      identity: processIdentity(child.pid),
      version: bgrunVersion(),
      startedAt: new Date().toISOString(),
    };
    writeSupervisorInfo(ctx.paths, info);
    return info;
  } finally {
    fs.closeSync(log);
  }
}

/**
 * Makes sure exactly one supervisor of the current version runs for this state
 * folder, and wakes it to look at the records. Decided under the registry lock,
 * so many concurrent commands still start one. An older supervisor is replaced:
 * it exits on SIGTERM without touching the programs, the new one re-adopts them.
 */
export async function ensureSupervisor(ctx: Context): Promise<SupervisorInfo> {
  return withLock(ctx.paths, () => {
    const current = liveSupervisor(ctx.paths);
    if (current && current.version === bgrunVersion()) {
      wake(current);
      return current;
    }
    const fresh = spawnSupervisor(ctx);
    // Verified as our supervisor by liveSupervisor; checked again right before the signal.
    if (current) signalIfSame(current, 'SIGTERM');
    return fresh;
  });
}

/**
 * Run by every command: brings a supervisor back when supervised programs
 * have none (it was killed, or bgrun was upgraded). Costs one small file read
 * when a current supervisor runs.
 */
export async function ensureSupervisorIfNeeded(ctx: Context, records?: ProcessRecord[]): Promise<void> {
  const current = liveSupervisor(ctx.paths);
  if (current && current.version === bgrunVersion()) return;
  if (!records && !fs.existsSync(ctx.paths.records)) return;
  // Not moving bad records aside here: the command itself reads them next and reports them.
  if (!needsSupervisor(records ?? readRecords(ctx.paths, { quarantine: false, reuse: true }).records)) return;
  await ensureSupervisor(ctx);
}

/**
 * `bgrun update` (pm2 update): a new supervisor of this bgrun even when one of
 * the same version runs; the old one exits on SIGTERM without touching the
 * programs, the new one re-adopts them. None is started when nothing needs one.
 */
export async function replaceSupervisor(ctx: Context): Promise<{ pid: number | null; replaced: number | null; version: string }> {
  return withLock(ctx.paths, () => {
    const current = liveSupervisor(ctx.paths);
    const records = fs.existsSync(ctx.paths.records) ? readRecords(ctx.paths, { quarantine: false, reuse: true }).records : [];
    if (!needsSupervisor(records)) {
      if (current) signalIfSame(current, 'SIGTERM');
      return { pid: null, replaced: current?.pid ?? null, version: bgrunVersion() };
    }
    const fresh = spawnSupervisor(ctx);
    if (current) signalIfSame(current, 'SIGTERM');
    return { pid: fresh.pid, replaced: current?.pid ?? null, version: fresh.version };
  });
}
