/**
 * Typed errors of the core. Core code throws these and never prints or exits;
 * src/cli.ts is the one place that turns them into a line on stderr and an exit status.
 */

/** Exit statuses, documented in the README. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

export type ErrorCode =
  | 'USAGE'
  | 'INVALID_NAME'
  | 'INVALID_DURATION'
  | 'TARGET_NOT_FOUND'
  | 'TARGET_AMBIGUOUS'
  | 'NOT_MANAGED'
  | 'ALREADY_RUNNING'
  | 'NAME_TAKEN'
  | 'SCRIPT_NOT_FOUND'
  | 'SCRIPT_NOT_RUNNABLE'
  | 'INTERPRETER_NOT_FOUND'
  | 'CWD_NOT_FOUND'
  | 'ENV_FILE'
  | 'EXPORT_FAILED'
  | 'STARTUP_FAILED'
  | 'SPAWN_FAILED'
  | 'EXITED_AT_START'
  | 'STOP_FAILED'
  | 'LOG_FAILED'
  | 'LOG_IS_LINK'
  | 'STATE_UNUSABLE'
  | 'LOCK_TIMEOUT'
  | 'RECORD_CORRUPT'
  | 'SUPERVISOR_FAILED'
  | 'CONFIG_NOT_FOUND'
  | 'CONFIG_INVALID'
  | 'DEPENDENCY_CYCLE'
  | 'DEPENDENCY_FAILED'
  | 'INVALID_PROBE'
  | 'NOT_READY'
  | 'NAME_TAKEN'
  | 'NOTHING_RUNNING'
  | 'RELOAD_FAILED'
  | 'CLUSTER_UNSUPPORTED'
  | 'LOG_PATH'
  | 'LOG_IN_USE';

export class BgrunError extends Error {
  override readonly name: string = 'BgrunError';
  readonly code: ErrorCode;
  readonly exitCode: number;

  constructor(code: ErrorCode, message: string, options: { cause?: unknown; exitCode?: number } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.exitCode = options.exitCode ?? EXIT_FAILURE;
  }
}

/** Bad command line: unknown option, missing argument, malformed value. Exit 2. */
export class UsageError extends BgrunError {
  override readonly name = 'UsageError';
  constructor(message: string, code: ErrorCode = 'USAGE') {
    super(code, message, { exitCode: 2 });
  }
}

/** A name, pid or `all` that matches nothing bgrun manages. */
export class TargetNotFoundError extends BgrunError {
  override readonly name = 'TargetNotFoundError';
  readonly target: string;
  constructor(target: string, message?: string, code: ErrorCode = 'TARGET_NOT_FOUND') {
    super(code, message ?? `no process named or with pid '${target}' is managed by bgrun; see 'bgrun list'`);
    this.target = target;
  }
}

/** A target that is no program's name and could mean more than one (display names, app of copies, namespace, pid): bgrun does not guess. */
export class AmbiguousTargetError extends BgrunError {
  override readonly name = 'AmbiguousTargetError';
  readonly target: string;
  constructor(target: string, message: string) {
    super('TARGET_AMBIGUOUS', message);
    this.target = target;
  }
}

export class AlreadyRunningError extends BgrunError {
  override readonly name = 'AlreadyRunningError';
  readonly appName: string;
  readonly pid: number;
  constructor(appName: string, pid: number) {
    super(
      'ALREADY_RUNNING',
      pid > 0
        ? `'${appName}' is already running (pid ${pid}); use 'bgrun restart ${appName}', or --name to start another`
        : `'${appName}' is already being started (by another bgrun, or by the supervisor); wait for it, or use --name to start another`,
    );
    this.appName = appName;
    this.pid = pid;
  }
}

/** A reload stopped part way: the copies not yet replaced keep running the old version. */
export class ReloadError extends BgrunError {
  override readonly name = 'ReloadError';
}

/** The program could not be started: nothing was left running. */
export class StartError extends BgrunError {
  override readonly name = 'StartError';
}

/** The program started but died within the grace period. */
export class ExitedAtStartError extends BgrunError {
  override readonly name = 'ExitedAtStartError';
  readonly appName: string;
  readonly exitCodeOfProgram: number | null;
  readonly signal: string | null;
  readonly stderrTail: string[];
  readonly errLog: string;
  constructor(args: {
    appName: string;
    exitCode: number | null;
    signal: string | null;
    stderrTail: string[];
    errLog: string;
  }) {
    const how = args.signal ? `was killed by ${args.signal}` : `exited with code ${args.exitCode}`;
    super('EXITED_AT_START', `'${args.appName}' ${how} right after starting; its stderr is in ${args.errLog}`);
    this.appName = args.appName;
    this.exitCodeOfProgram = args.exitCode;
    this.signal = args.signal;
    this.stderrTail = args.stderrTail;
    this.errLog = args.errLog;
  }
}

export class StopError extends BgrunError {
  override readonly name = 'StopError';
  constructor(message: string, cause?: unknown) {
    super('STOP_FAILED', message, { cause });
  }
}

/** A log cannot be rotated, flushed or read (permissions, disk full, a planted symlink). */
export class LogError extends BgrunError {
  override readonly name = 'LogError';
  constructor(message: string, cause?: unknown, code: ErrorCode = 'LOG_FAILED') {
    super(code, message, { cause });
  }
}

/** The state folder cannot be created, read or written. */
export class StateError extends BgrunError {
  override readonly name = 'StateError';
  constructor(message: string, cause?: unknown, code: ErrorCode = 'STATE_UNUSABLE') {
    super(code, message, { cause });
  }
}

/** A record file that is not a valid record; it has been moved aside. */
export class CorruptRecordError extends BgrunError {
  override readonly name = 'CorruptRecordError';
  readonly appName: string;
  readonly movedTo: string | null;
  constructor(appName: string, reason: string, movedTo: string | null) {
    super(
      'RECORD_CORRUPT',
      `the record of '${appName}' is unreadable (${reason})` +
        (movedTo ? `; moved it to ${movedTo}` : '; remove it with \'bgrun rm\''),
    );
    this.appName = appName;
    this.movedTo = movedTo;
  }
}

/** A config file or Procfile that cannot be found, read or used; the message names the file and the bad key. Exit 1. */
export class ConfigError extends BgrunError {
  override readonly name = 'ConfigError';
  constructor(message: string, code: ErrorCode = 'CONFIG_INVALID', cause?: unknown) {
    super(code, message, { cause });
  }
}

/** A program started but did not pass its readiness probe: it died first, or the timeout passed. */
export class NotReadyError extends BgrunError {
  override readonly name = 'NotReadyError';
  readonly appName: string;
  /** 'exited': it ended before it was ready; 'timeout': still running, not ready in time. */
  readonly reason: 'exited' | 'timeout';
  readonly stderrTail: string[];
  readonly errLog: string;
  constructor(args: { appName: string; reason: 'exited' | 'timeout'; message: string; stderrTail: string[]; errLog: string }) {
    super('NOT_READY', args.message);
    this.appName = args.appName;
    this.reason = args.reason;
    this.stderrTail = args.stderrTail;
    this.errLog = args.errLog;
  }
}

/** Short reason from a Node system error, for messages ("permission denied", "not a directory"). */
export function describeSystemError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'ENOENT':
      return 'no such file or directory';
    case 'ENOTDIR':
      return 'a part of the path is not a folder';
    case 'EISDIR':
      return 'it is a folder';
    case 'EROFS':
      return 'read-only file system';
    case 'ENOSPC':
      return 'no space left on device';
    case 'ELOOP':
      return 'it is a symbolic link, which bgrun does not follow there';
    case 'EEXIST':
      return 'it already exists';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}
