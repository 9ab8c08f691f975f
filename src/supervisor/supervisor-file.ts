import fs from 'node:fs';
import type { StatePaths } from '../core/paths.js';
import { isSameProcessAlive } from '../core/processes/process-info.js';
import { writeFileAtomic } from '../core/records/registry.js';

/** supervisor.json: which process supervises this state folder. Written under the registry lock. */
export interface SupervisorInfo {
  pid: number;
  identity: string | null;
  version: string;
  startedAt: string;
}

export function readSupervisorInfo(paths: StatePaths): SupervisorInfo | null {
  try {
    const value = JSON.parse(fs.readFileSync(paths.supervisorRecord, 'utf8')) as SupervisorInfo;
    return Number.isInteger(value.pid) && typeof value.version === 'string' ? value : null;
  } catch {
    return null;
  }
}

export function writeSupervisorInfo(paths: StatePaths, info: SupervisorInfo): void {
  writeFileAtomic(paths.supervisorRecord, `${JSON.stringify(info, null, 2)}\n`);
}

export function removeSupervisorInfo(paths: StatePaths): void {
  fs.rmSync(paths.supervisorRecord, { force: true });
}

/** The supervisor named in supervisor.json, if that very process still runs. */
export function liveSupervisor(paths: StatePaths): SupervisorInfo | null {
  const info = readSupervisorInfo(paths);
  return info && isSameProcessAlive(info.pid, info.identity) ? info : null;
}
