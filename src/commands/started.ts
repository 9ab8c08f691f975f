import type { LaunchResult } from '../core/lifecycle/launch.js';
import { toInfo } from '../core/lifecycle/status.js';
import type { ProcessRecord } from '../core/records/record.js';
import { describePython } from '../core/processes/python.js';
import { type BgrunError, ExitedAtStartError, NotReadyError } from '../errors.js';
import type { Io } from './command.js';
import { paint } from './format.js';

/** A started record as `start --json` prints it: as in `list --json`, with the Python bgrun chose (as in `show --json`; null for other programs). */
export function startedJson(r: ProcessRecord): Record<string, unknown> {
  return { ...toInfo([r])[0], python: r.python ?? null };
}

/** Which Python, when it is not the one a bare `python3` would run: the line under "started …". */
export function printPython(r: ProcessRecord, io: Io): void {
  if (r.python && r.python.chosenBy !== 'path') io.out(`  python: ${describePython(r.python)}`);
}

/**
 * The line of start (and a config start) for a program done within its grace period.
 * A supervised program's record has no pid once its run ended: the pid is the run's
 * own, when the start saw it, and left out otherwise (never "pid null").
 */
export function ranAndExitedLine(name: string, exitCode: number | null, pid: number | null | undefined, color: boolean): string {
  return `${paint(name, 'bold', color)} ran and exited with code ${exitCode ?? 0}${pid == null ? '' : ` (pid ${pid})`}`;
}

/** What start and restart print for a program that is up. */
export function printStarted(result: LaunchResult, io: Io, json: boolean, verb: string): void {
  const r = result.record;
  for (const note of result.notes ?? []) io.err(`bgrun: note: ${note}`);
  if (json) {
    io.out(JSON.stringify(startedJson(r)));
    return;
  }
  if (result.exitedCleanly) {
    io.out(ranAndExitedLine(r.name, r.exitCode, result.endedPid, io.color));
  } else {
    // No pid: with --wait 0 a supervised program that ended at once is reported between two runs.
    const pid = r.pid === null ? 'ended at once; the supervisor restarts it' : `pid ${r.pid}`;
    io.out(`${verb} ${paint(r.name, 'bold', io.color)} (${pid})${r.ready && r.readyAt ? `, ready (${r.ready})` : ''}`);
  }
  printPython(r, io);
  io.out(`  out: ${r.outLog}`);
  io.out(`  err: ${r.errLog}`);
}

/**
 * One program of several failed (`restart all`): its error on stderr as the CLI
 * would print it, crash lines included, so the others can go on.
 */
export function reportFailure(io: Io, name: string, verb: string, error: BgrunError, json: boolean): void {
  // A message that names the program says enough; another one gets "cannot restart 'web': ".
  const message = error.message.includes(`'${name}'`) ? error.message : `cannot ${verb} '${name}': ${error.message}`;
  if (json) io.out(JSON.stringify({ error: { code: error.code, message } }));
  io.err(`bgrun: ${message}`);
  const lines = error instanceof ExitedAtStartError || error instanceof NotReadyError ? error.stderrTail : [];
  if (lines.length > 0) {
    io.err('from its stderr:');
    for (const line of lines) io.err(`  ${line}`);
  }
}
