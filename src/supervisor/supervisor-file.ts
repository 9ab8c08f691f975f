import fs from 'node:fs';
import { isOurSupervisor } from '../core/processes/identity.js';
import type { StatePaths } from '../core/paths.js';
import { readFileNoFollow, writeFileAtomic } from '../core/records/registry.js';

/** supervisor.json: which process supervises this state folder. Written under the registry lock. */
export interface SupervisorInfo {
  pid: number;
  identity: string | null;
  version: string;
  startedAt: string;
}

export function readSupervisorInfo(paths: StatePaths): SupervisorInfo | null {
  try {
    // Not followed if a link, and not read unless it is this user's (readFileNoFollow).
    const value = JSON.parse(readFileNoFollow(paths.supervisorRecord)) as SupervisorInfo;
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

/**
 * The supervisor named in supervisor.json, if that very process still runs and is a
 * bgrun supervisor of this user and this state folder (core/identity.ts): the file
 * alone is never trusted to name a process that bgrun would then signal.
 */
export function liveSupervisor(paths: StatePaths): SupervisorInfo | null {
  const info = readSupervisorInfo(paths);
  return info && isOurSupervisor(info, paths.home) ? info : null;
}
