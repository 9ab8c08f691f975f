import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import { StartError, describeSystemError } from '../../errors.js';
import { unusableValue } from './env-file.js';
import { PIDFILE_THEN_EXEC, resetPidFile } from './pidfile.js';

export interface SpawnSpec {
  command: string[];
  cwd: string;
  env: Record<string, string>;
  outLog: string;
  errLog: string;
  pidFile: string;
}

const APPEND = fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0);

function openLog(file: string): number {
  try {
    return fs.openSync(file, APPEND, 0o600);
  } catch (error) {
    throw new StartError('SPAWN_FAILED', `cannot open log file ${file}: ${describeSystemError(error)}`, { cause: error });
  }
}

/**
 * Starts the program in a new session (setsid: no terminal hang-up reaches it),
 * stdin from /dev/null, stdout and stderr appended to the logs by the kernel
 * through file descriptors: no process of ours sits in the data path.
 * Resolves once the child is forked; rejects if it could not be.
 */
export function spawnDetached(spec: SpawnSpec): Promise<ChildProcess> {
  try {
    if (!fs.statSync(spec.cwd).isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
  } catch (error) {
    return Promise.reject(
      new StartError('CWD_NOT_FOUND', `working folder ${spec.cwd} is unusable: ${describeSystemError(error)}`, { cause: error }),
    );
  }
  // Node refuses these at spawn with a message that quotes the value: say which, never what.
  for (const [name, value] of Object.entries(spec.env)) {
    const unusable = unusableValue(name, value);
    if (unusable) return Promise.reject(new StartError('SPAWN_FAILED', `cannot start ${spec.command[0]}: ${unusable}`));
  }
  if (spec.command.some((arg) => arg.includes('\0'))) {
    return Promise.reject(new StartError('SPAWN_FAILED', `cannot start ${spec.command[0]?.replaceAll('\0', '\\0')}: an argument holds a NUL byte, which no program can be given`));
  }
  // The pidfile first: nothing is open yet if it is refused (a link planted in its place).
  try {
    resetPidFile(spec.pidFile);
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code === 'ELOOP' ? 'it is a symbolic link, which bgrun does not follow in its state folder; remove it' : describeSystemError(error);
    return Promise.reject(new StartError('SPAWN_FAILED', `cannot write the pidfile ${spec.pidFile}: ${why}`, { cause: error }));
  }
  const out = openLog(spec.outLog);
  let err: number;
  try {
    err = openLog(spec.errLog);
  } catch (error) {
    fs.closeSync(out);
    return Promise.reject(error);
  }
  let child: ChildProcess;
  try {
    child = spawn('/bin/sh', ['-c', PIDFILE_THEN_EXEC, spec.pidFile, ...spec.command], {
      cwd: spec.cwd,
      env: spec.env,
      detached: true,
      stdio: ['ignore', out, err],
    });
  } finally {
    fs.closeSync(out);
    fs.closeSync(err);
  }
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => {
      reject(new StartError('SPAWN_FAILED', `cannot start ${spec.command[0]}: ${describeSystemError(error)}`, { cause: error }));
    };
    child.once('error', onError);
    child.once('spawn', () => {
      child.off('error', onError);
      resolve(child);
    });
  });
}
