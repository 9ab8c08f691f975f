import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { StateError, describeSystemError } from '../errors.js';

/** Where everything bgrun keeps lives; one state folder is one independent bgrun. */
export interface StatePaths {
  home: string;
  records: string;
  /** Each program's inherited environment, apart from its record (see core/records/record-env.ts). */
  envs: string;
  logs: string;
  pids: string;
  quarantine: string;
  /** proper-lockfile locks this path (it creates `<lock>.lock` beside it). */
  lock: string;
  supervisorRecord: string;
  supervisorLog: string;
}

export function resolveHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BGRUN_HOME) return path.resolve(env.BGRUN_HOME);
  if (env.XDG_STATE_HOME) return path.join(path.resolve(env.XDG_STATE_HOME), 'bgrun');
  return path.join(os.homedir(), '.local', 'state', 'bgrun');
}

export function statePaths(home: string): StatePaths {
  return {
    home,
    records: path.join(home, 'records'),
    envs: path.join(home, 'env'),
    logs: path.join(home, 'logs'),
    pids: path.join(home, 'pids'),
    quarantine: path.join(home, 'quarantine'),
    lock: path.join(home, 'registry'),
    supervisorRecord: path.join(home, 'supervisor.json'),
    supervisorLog: path.join(home, 'supervisor.log'),
  };
}

/** Names are validated before they get here, so these stay inside the state folder. */
export const recordFile = (p: StatePaths, name: string) => path.join(p.records, `${name}.json`);
export const envFile = (p: StatePaths, name: string) => path.join(p.envs, `${name}.json`);
export const outLogFile = (p: StatePaths, name: string) => path.join(p.logs, `${name}.out.log`);
export const errLogFile = (p: StatePaths, name: string) => path.join(p.logs, `${name}.err.log`);
export const pidFileOf = (p: StatePaths, name: string) => path.join(p.pids, `${name}.pid`);

const ensured = new Set<string>();

/**
 * Creates the state folders with mode 0700 (logs and environments may hold
 * secrets) and refuses a folder that is a symlink or belongs to someone else.
 */
export function ensureState(p: StatePaths): void {
  if (ensured.has(p.home)) return;
  for (const dir of [p.home, p.records, p.envs, p.logs, p.pids]) ensureDir(dir, p.home);
  ensured.add(p.home);
}

function ensureDir(dir: string, home: string): void {
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new StateError(
      `cannot create the state folder ${dir}: ${describeSystemError(error)}; set BGRUN_HOME to a folder you can write`,
      error,
    );
  }
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (error) {
    throw new StateError(`cannot read the state folder ${dir}: ${describeSystemError(error)}`, error);
  }
  // The home itself may be a link the user made on purpose; links planted inside it are refused.
  if (dir !== home && st.isSymbolicLink()) {
    throw new StateError(`${dir} is a symbolic link; bgrun does not follow links inside its state folder; remove it`);
  }
  if (!fs.statSync(dir).isDirectory()) {
    throw new StateError(`the state folder ${dir} is not a folder; set BGRUN_HOME to a folder`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && uid !== 0 && st.uid !== uid) {
    throw new StateError(`the state folder ${dir} belongs to another user (uid ${st.uid}); set BGRUN_HOME to your own folder`);
  }
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    throw new StateError(
      `the state folder ${dir} is not writable: ${describeSystemError(error)}; set BGRUN_HOME to a folder you can write`,
      error,
    );
  }
  if ((st.mode & 0o077) !== 0 && !st.isSymbolicLink()) {
    try {
      fs.chmodSync(dir, 0o700);
    } catch {
      // Not ours to fix (a shared mount); the files inside are still 0600.
    }
  }
}
