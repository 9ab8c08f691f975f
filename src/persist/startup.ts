import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { BgrunError, describeSystemError } from '../errors.js';
import { installFile } from '../install-root.js';
import type { Context } from '../core/context.js';
import { writeFileAtomic } from '../core/records/registry.js';
import { environmentAssignment, execStartLine } from '../export/systemd-unit.js';

/**
 * `bgrun startup` / `bgrun unstartup`: run `bgrun resurrect` at boot, through a
 * systemd unit where systemd runs, else through a crontab @reboot line the user adds.
 */

export const RESURRECT_UNIT = 'bgrun-resurrect.service';
export const SYSTEM_UNIT_DIR = '/etc/systemd/system';
/** systemd's own test for "booted with systemd" (sd_booted(3)). */
export const SYSTEMD_RUN_DIR = '/run/systemd/system';
const LINGER_DIR = '/var/lib/systemd/linger';

export type InitSystem = 'systemd' | 'cron';

export class StartupError extends BgrunError {
  override readonly name = 'StartupError';
  constructor(message: string, cause?: unknown) {
    super('STARTUP_FAILED', message, { cause });
  }
}

export function systemdRunning(runDir = SYSTEMD_RUN_DIR): boolean {
  try {
    return fs.lstatSync(runDir).isDirectory();
  } catch {
    return false;
  }
}

/** Where `systemctl --user` looks first: $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user. */
export function userUnitDir(env: NodeJS.ProcessEnv): string {
  const config = env.XDG_CONFIG_HOME ? path.resolve(env.XDG_CONFIG_HOME) : path.join(env.HOME || os.homedir(), '.config');
  return path.join(config, 'systemd', 'user');
}

/** The bin/bgrun.js of this installation, whether this code runs from dist/ or the CLI bundle. */
export function bgrunScript(): string {
  const script = installFile('bin/bgrun.js');
  if (script === null) throw new StartupError('cannot find the bgrun installation (its package.json) to run at boot');
  return script;
}

export interface ResurrectCommand {
  /** BGRUN_HOME for the boot-time run. */
  home: string;
  node: string;
  script: string;
}

export function resurrectCommand(ctx: Context): ResurrectCommand {
  return { home: ctx.paths.home, node: process.execPath, script: bgrunScript() };
}

export function resurrectUnitText(command: ResurrectCommand, user: boolean): string {
  return `${[
    `# ${RESURRECT_UNIT}: brings back the programs saved with 'bgrun save', at boot.`,
    "# Written by 'bgrun startup'; 'bgrun unstartup' removes it.",
    '# The programs do not belong to this unit: bgrun starts them in sessions of',
    '# their own, and KillMode=process keeps systemd from stopping them when',
    '# this unit is stopped or restarted.',
    '',
    '[Unit]',
    "Description=bgrun resurrect: start the programs saved with 'bgrun save'",
    ...(user ? [] : ['Wants=network-online.target', 'After=network-online.target']),
    '',
    '[Service]',
    'Type=oneshot',
    'RemainAfterExit=yes',
    'KillMode=process',
    `Environment=${environmentAssignment('BGRUN_HOME', command.home)}`,
    `ExecStart=${execStartLine([command.node, command.script, 'resurrect'])}`,
    '',
    '[Install]',
    `WantedBy=${user ? 'default.target' : 'multi-user.target'}`,
  ].join('\n')}\n`;
}

/** Quotes a word for /bin/sh, and `%` for cron (which turns a bare `%` into a line break). */
function cronWord(word: string): string {
  const quoted = /^[A-Za-z0-9_./:=@+,-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
  return quoted.replace(/%/g, '\\%');
}

export function cronLine(command: ResurrectCommand): string {
  return `@reboot BGRUN_HOME=${cronWord(command.home)} ${cronWord(command.node)} ${cronWord(command.script)} resurrect`;
}

export interface StartupOptions {
  /** A user unit (systemctl --user) rather than a system one. */
  user: boolean;
  /** Default: systemd when it runs here, else cron. */
  init?: InitSystem;
  /** Only compute; write and run nothing. */
  print?: boolean;
}

export interface SystemdStartup {
  kind: 'systemd';
  user: boolean;
  unitFile: string;
  /** The `enable` symlink: <dir>/<target>.wants/bgrun-resurrect.service. */
  wantsLink: string;
  text: string;
  written: boolean;
  /** systemctl commands that ran, or that the user should run (systemd not running here, or --print). */
  ran: string[][];
  toRun: string[][];
  /** Set for user units while lingering is off: without it they start at login, not at boot. */
  lingerHint: string | null;
  /** systemd runs but systemctl failed (no user manager in this session, say); the unit is in place. */
  systemctlError: string | null;
}

export interface CronStartup {
  kind: 'cron';
  line: string;
}

export type StartupResult = SystemdStartup | CronStartup;

function unitLocation(ctx: Context, user: boolean): { dir: string; unitFile: string; wantsLink: string } {
  const dir = user ? userUnitDir(ctx.env) : SYSTEM_UNIT_DIR;
  const target = user ? 'default.target' : 'multi-user.target';
  return { dir, unitFile: path.join(dir, RESURRECT_UNIT), wantsLink: path.join(dir, `${target}.wants`, RESURRECT_UNIT) };
}

function lingerHint(): string | null {
  const user = os.userInfo().username;
  if (fs.existsSync(path.join(LINGER_DIR, user))) return null;
  return (
    `lingering is off for ${user}: systemd starts user units when ${user} logs in, not at boot, and stops them at logout. ` +
    `To have them start at boot and keep running, run 'loginctl enable-linger ${user}'${user === 'root' ? '' : ' (with sudo if it is refused)'}`
  );
}

/** Runs `systemctl` (BGRUN_SYSTEMCTL names another: tests, wrappers); returns why it failed, or null. */
function runSystemctl(ctx: Context, args: string[]): string | null {
  const program = ctx.env.BGRUN_SYSTEMCTL || 'systemctl';
  const result = spawnSync(program, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
  if (!result.error && result.status === 0) return null;
  const why = result.error ? describeSystemError(result.error) : result.stderr.trim() || `exit code ${result.status}`;
  return `'${program} ${args.join(' ')}' failed: ${why}`;
}

function replaceSymlink(link: string, target: string): void {
  fs.mkdirSync(path.dirname(link), { recursive: true, mode: 0o755 });
  try {
    fs.unlinkSync(link);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  fs.symlinkSync(target, link);
}

/**
 * Installs boot persistence. With systemd: writes the unit, enables it (the
 * wants symlink `systemctl enable` would make) and reloads systemd when it runs.
 * Without: returns the crontab line; crontabs are the user's to edit.
 */
export function installStartup(ctx: Context, options: StartupOptions): StartupResult {
  const command = resurrectCommand(ctx);
  const running = systemdRunning();
  const init = options.init ?? (running ? 'systemd' : 'cron');
  if (init === 'cron') return { kind: 'cron', line: cronLine(command) };
  const { dir, unitFile, wantsLink } = unitLocation(ctx, options.user);
  const text = resurrectUnitText(command, options.user);
  const scope = options.user ? ['--user'] : [];
  const reload = [...scope, 'daemon-reload'];
  const result: SystemdStartup = {
    kind: 'systemd',
    user: options.user,
    unitFile,
    wantsLink,
    text,
    written: false,
    ran: [],
    toRun: [reload],
    lingerHint: options.user ? lingerHint() : null,
    systemctlError: null,
  };
  if (options.print) return result;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o755 });
    writeFileAtomic(unitFile, text);
    fs.chmodSync(unitFile, 0o644);
    replaceSymlink(wantsLink, path.join('..', RESURRECT_UNIT));
  } catch (error) {
    throw new StartupError(
      `cannot install ${unitFile}: ${describeSystemError(error)}${options.user ? '' : "; a system unit needs root, or use --user"}`,
      error,
    );
  }
  result.written = true;
  if (running) {
    result.systemctlError = runSystemctl(ctx, reload);
    if (result.systemctlError === null) {
      result.ran = [reload];
      result.toRun = [];
    }
  }
  return result;
}

export interface UnstartupResult {
  unitFile: string;
  /** False when there was no unit to remove. */
  removed: boolean;
  ran: string[][];
  systemctlError: string | null;
}

/** Removes the unit and its wants symlink, and reloads systemd when it runs. */
export function removeStartup(ctx: Context, options: { user: boolean }): UnstartupResult {
  const { unitFile, wantsLink } = unitLocation(ctx, options.user);
  let removed = false;
  for (const file of [wantsLink, unitFile]) {
    try {
      fs.unlinkSync(file);
      removed = true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        throw new StartupError(`cannot remove ${file}: ${describeSystemError(error)}`, error);
      }
    }
  }
  try {
    fs.rmdirSync(path.dirname(wantsLink)); // only when empty: other units may be enabled there
  } catch {
    // not empty, or not there
  }
  const ran: string[][] = [];
  let systemctlError: string | null = null;
  if (removed && systemdRunning()) {
    const reload = [...(options.user ? ['--user'] : []), 'daemon-reload'];
    systemctlError = runSystemctl(ctx, reload);
    if (systemctlError === null) ran.push(reload);
  }
  return { unitFile, removed, ran, systemctlError };
}
