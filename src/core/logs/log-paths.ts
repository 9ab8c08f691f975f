import fs from 'node:fs';
import path from 'node:path';
import { StartError, UsageError, describeSystemError } from '../../errors.js';
import type { ProcessRecord } from '../records/record.js';

/**
 * Log files where the user wants them (`--out-log`, `--err-log`, `--log`; pm2's
 * `out_file`, `error_file`, `log_file`): still opened O_APPEND by bgrun and
 * written by the kernel, so rotation, flush, `logs` and the time index work
 * on them as on the logs in the state folder.
 */

export interface LogPathOptions {
  /** stdout's log (`--out-log`): absolute, or relative to the program's working folder. */
  outLog?: string;
  errLog?: string;
  /** `--log`: both streams into this one file. */
  log?: string;
}

/**
 * The log files asked for, absolute: `--log` is both, and goes alone. A relative path is
 * resolved against the program's working folder `cwd`, as its script and env files are
 * (and as pm2 resolves `out_file`), so `--cwd ../api --out-log out.log` writes ../api/out.log.
 */
export function chosenLogPaths(options: LogPathOptions, cwd: string): { outLog?: string; errLog?: string } {
  const at = (file: string | undefined) => (file === undefined ? undefined : path.resolve(cwd, file));
  if (options.log === undefined) return { outLog: at(options.outLog), errLog: at(options.errLog) };
  if (options.outLog !== undefined || options.errLog !== undefined) {
    throw new UsageError('--log puts both streams in one file; give it alone, or --out-log and --err-log');
  }
  return { outLog: at(options.log), errLog: at(options.log) };
}

/** Files every program may log to at once: nothing is kept in them. */
const DISCARD = new Set(['/dev/null']);

/**
 * A log path must be a file bgrun can append to: its folder exists and is
 * writable, and the path is not a symbolic link (its folders may be). Checked before anything is recorded, so a bad path starts nothing.
 * The file is created (empty, 0600) if missing, as the start would.
 */
export function checkLogPath(file: string): void {
  if (DISCARD.has(file)) return;
  let fd: number;
  try {
    fd = fs.openSync(file, fs.constants.O_WRONLY | fs.constants.O_APPEND | fs.constants.O_CREAT | (fs.constants.O_NOFOLLOW ?? 0), 0o600);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const hint =
      code === 'ENOENT'
        ? `its folder ${path.dirname(file)} does not exist; create it or choose another path`
        : code === 'EISDIR'
          ? 'it is a folder; give a file path'
          : code === 'ELOOP'
            ? // A log is never written or read through a link (the link could be changed under it later).
              'give the path of the file itself'
            : 'choose a path you can write';
    throw new StartError('LOG_PATH', `cannot write the log file ${file}: ${describeSystemError(error)}; ${hint}`, { cause: error });
  }
  fs.closeSync(fd);
}

/** Whether two records may write the same file: both said so (--shared-log), or copies of one app with merged logs. */
function mayShare(a: Pick<ProcessRecord, 'sharedLog' | 'app' | 'mergeLogs'>, b: Pick<ProcessRecord, 'sharedLog' | 'app' | 'mergeLogs'>): boolean {
  if (a.sharedLog === true && b.sharedLog === true) return true;
  return a.app !== undefined && a.app === b.app && a.mergeLogs === true && b.mergeLogs === true;
}

/**
 * Refuses a log path another program already logs to (two programs appending to
 * one file interleave their lines and rotate it twice), unless both ask to share it.
 */
export function checkLogOwners(record: Pick<ProcessRecord, 'name' | 'outLog' | 'errLog' | 'sharedLog' | 'app' | 'mergeLogs'>, others: ProcessRecord[]): void {
  for (const file of new Set([record.outLog, record.errLog])) {
    if (DISCARD.has(file)) continue;
    for (const other of others) {
      if (other.name === record.name || (other.outLog !== file && other.errLog !== file)) continue;
      if (mayShare(record, other)) continue;
      throw new StartError(
        'LOG_IN_USE',
        `${file} is already the log of '${other.name}'; choose another path, or start both with --shared-log to share it`,
      );
    }
  }
}

/** A copy's own log when the app's is the user's file: out.log → out-2.log (pm2's naming); merged copies share the file. */
export function copyLogPath(file: string, index: number): string {
  const ext = path.extname(file);
  return ext ? `${file.slice(0, -ext.length)}-${index}${ext}` : `${file}-${index}`;
}
