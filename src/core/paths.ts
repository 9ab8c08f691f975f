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
  /** The registry lock is the folder `<lock>.lock` (core/records/owned-lock.ts). */
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

const ensured = new Map<string, 'read' | 'write'>();

/**
 * Creates the state folders with mode 0700 (logs and environments may hold
 * secrets) and refuses, as ssh does, a folder that bgrun must not trust: one that
 * belongs to another user (root too refuses a user's folder: `sudo -E`), one that
 * other users can write (they could plant records naming processes for bgrun to
 * signal), a link inside the state folder. The state folder itself may be a link
 * the user made on purpose: the folder it points to is checked. The mode of a
 * folder bgrun did not create is never changed (docs/security.md).
 *
 * `access` 'write' (a start) also requires every folder to be writable, so that
 * nothing is half done; 'read' (list, show, logs) only trusts: a logs folder that
 * cannot be written must not stop anyone from looking. A writer of records checks
 * what it writes with ensureWritable.
 */
export function ensureState(p: StatePaths, access: 'read' | 'write' = 'write'): void {
  const done = ensured.get(p.home);
  if (done === 'write' || done === access) return;
  for (const dir of [p.home, p.records, p.envs, p.logs, p.pids]) {
    ensureDir(dir, p.home);
    if (access === 'write') ensureWritable(dir, p.home);
  }
  ensured.set(p.home, access);
}

/** Throws a one-line StateError saying what to do when `dir` (a folder of the state folder `home`) cannot be written. */
export function ensureWritable(dir: string, home: string): void {
  try {
    fs.accessSync(dir, fs.constants.W_OK | fs.constants.X_OK);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const fix = code === 'EACCES' || code === 'EPERM' ? `run 'chmod u+wx ${dir}'` : 'make it writable';
    throw new StateError(
      `${dir === home ? 'the state folder' : 'the folder'} ${dir} is not writable: ${describeSystemError(error)}; ${fix}, or set BGRUN_HOME to a folder you can write`,
      error,
    );
  }
}

function ensureDir(dir: string, home: string): void {
  const what = dir === home ? 'the state folder' : 'the folder';
  let st: fs.Stats | null = null;
  try {
    // The home may be a link the user made on purpose (its target is checked); links planted inside it are refused.
    st = dir === home ? fs.statSync(dir) : fs.lstatSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    // ENOTDIR: a file in the path; creating says so.
    if (code !== 'ENOENT' && code !== 'ENOTDIR') {
      throw new StateError(`cannot read ${what} ${dir}: ${describeSystemError(error)}; set BGRUN_HOME to a folder of your own`, error);
    }
  }
  if (st === null) {
    try {
      // Created here, so 0700 (mkdir's mode only loses bits to the umask).
      fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
      st = fs.lstatSync(dir);
    } catch (error) {
      throw new StateError(
        `cannot create ${what} ${dir}: ${describeSystemError(error)}; set BGRUN_HOME to a folder you can write`,
        error,
      );
    }
  }
  if (st.isSymbolicLink()) {
    throw new StateError(`${dir} is a symbolic link; bgrun does not follow links inside its state folder; remove it`);
  }
  if (!st.isDirectory()) {
    throw new StateError(`${what} ${dir} is not a folder; set BGRUN_HOME to a folder (or remove what is there)`);
  }
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) {
    throw new StateError(
      `${what} ${dir} belongs to another user (uid ${st.uid}, you are uid ${uid}); bgrun never uses another user's state folder: run bgrun as that user, or set BGRUN_HOME to a folder of your own (with sudo, do not keep BGRUN_HOME or HOME: use sudo -H without -E)`,
    );
  }
  if ((st.mode & 0o022) !== 0) {
    throw new StateError(
      `${what} ${dir} can be written by other users (mode ${(st.mode & 0o7777).toString(8)}), who could plant records for bgrun to act on; run 'chmod go-w ${dir}' (0700 is best) or set BGRUN_HOME to a folder of your own`,
    );
  }
}
