import { type FleetSource, fleetUnitLines } from './systemd-fleet.js';
import type { ProcessRecord } from '../core/records/record.js';
import { BgrunError } from '../errors.js';
import type { SupervisionSettings } from '../core/supervision.js';
import { supervisionUnitLines } from './systemd-supervision.js';
import { BACKOFF_BASE_MS, BACKOFF_MAX_MS, effectiveMaxRestarts } from '../supervisor/policy.js';

/**
 * A bgrun record as a native systemd service unit: pure text, no file system.
 * Quoting and escaping follow systemd.syntax(7) and systemd.service(5),
 * "Command lines": words in double quotes with C escapes, `%` specifiers
 * doubled everywhere, `$` doubled in arguments (environment substitution).
 */

/** A record holds something a unit file cannot express. */
export class ExportError extends BgrunError {
  override readonly name = 'ExportError';
  constructor(message: string) {
    super('EXPORT_FAILED', message);
  }
}

/** The parts of a record a unit is made from. */
export type UnitSource = Pick<
  ProcessRecord,
  'name' | 'command' | 'cwd' | 'envVars' | 'envFiles' | 'restart' | 'maxRestarts' | 'minUptimeMs' | 'maxMemoryBytes' | 'outLog' | 'errLog'
> &
  Partial<Pick<ProcessRecord, 'ready' | 'maxLogBytes' | 'dependsOn' | 'logTime' | 'compressLogs'>> &
  FleetSource &
  SupervisionSettings;

export interface UnitOptions {
  /** A user unit (`systemctl --user`): WantedBy=default.target and no User=. */
  user: boolean;
  /** System units only: the account to run as (User=); null or 'root' leaves it out. */
  runAs?: string | null;
  /** Named in the header comment. */
  bgrunVersion?: string;
}

export interface SystemdUnit {
  name: string;
  /** `bgrun-<name>.service` */
  unitName: string;
  text: string;
}

/** TimeoutStopSec: bgrun's own stop timeout before SIGKILL. */
export const STOP_TIMEOUT = '10s';

export function unitNameOf(name: string): string {
  return `bgrun-${name}.service`;
}

/** Characters that never need quoting in a unit file word. */
const PLAIN = /^[A-Za-z0-9_./:=,+-]+$/;

/** C escapes for the inside of a double-quoted word: backslash, quote and control characters. */
function cEscape(text: string): string {
  let out = '';
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\r') out += '\\r';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out;
}

const doublePercent = (text: string) => text.replace(/%/g, '%%');
const doubleDollar = (text: string) => text.replace(/\$/g, () => '$$');

/**
 * One argument of ExecStart= (not the executable): quoted unless plain, C
 * escapes, `%` → `%%`, `$` → `$$`. A lone `;` is quoted, so it is never a separator.
 */
export function quoteExecArg(arg: string): string {
  if (PLAIN.test(arg)) return arg;
  return `"${doubleDollar(doublePercent(cEscape(arg)))}"`;
}

/**
 * The ExecStart= value. systemd substitutes `$` in the arguments but not in the
 * executable path, so an executable with a `$` in its path is given with the
 * `@` prefix and its argv[0] separately.
 */
export function execStartLine(command: string[]): string {
  const [exe, ...args] = command;
  if (exe === undefined || exe === '') throw new ExportError('the command is empty');
  const quotedExe = PLAIN.test(exe) && exe.startsWith('/') ? exe : `"${doublePercent(cEscape(exe))}"`;
  const rest = args.map(quoteExecArg);
  const words = exe.includes('$') ? [`@${quotedExe}`, quoteExecArg(exe), ...rest] : [quotedExe, ...rest];
  return words.join(' ');
}

/** One Environment= assignment. Environment= does no `$` substitution, so only `%` and C escapes apply. */
export function environmentAssignment(key: string, value: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) throw new ExportError(`the variable name '${key}' is not valid in a unit file`);
  const assignment = `${key}=${value}`;
  return PLAIN.test(assignment) ? assignment : `"${doublePercent(cEscape(assignment))}"`;
}

/**
 * A path as the value of WorkingDirectory=, EnvironmentFile= or append:. These
 * take the rest of the line unquoted, so a path with a line break, or with
 * blanks at either end, cannot be written.
 */
export function unitPath(file: string, what: string): string {
  if (!file.startsWith('/')) throw new ExportError(`${what} ${file} is not an absolute path`);
  if (/[\x00-\x1f\x7f]/.test(file) || file !== file.trim()) {
    throw new ExportError(`${what} ${JSON.stringify(file)} has control characters or blanks at an end, which a unit file cannot hold`);
  }
  return doublePercent(file);
}

/** systemd time span: whole seconds as `Ns`, else milliseconds. */
export function timeSpan(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/**
 * StartLimitBurst/StartLimitIntervalSec from bgrun's crash-loop rule. bgrun
 * gives up after maxRestarts quick crashes in a row (runs shorter than
 * minUptime): that is maxRestarts + 1 starts, each at most minUptime +
 * RestartSec after the one before. systemd refuses the start after `burst`
 * starts within the interval, which is the same loop. Unlimited → interval 0.
 */
export function startLimits(source: Pick<UnitSource, 'restart' | 'maxRestarts' | 'minUptimeMs'>): { intervalSec: string; burst: number } | null {
  if (source.restart === 'no') return null;
  const max = effectiveMaxRestarts(source.restart, source.maxRestarts);
  if (!Number.isFinite(max)) return { intervalSec: '0', burst: 1 };
  const burst = max + 1;
  return { intervalSec: timeSpan(burst * (source.minUptimeMs + BACKOFF_BASE_MS)), burst };
}

/** Text for a comment: one line, whatever it holds. */
const oneLine = (text: string) => JSON.stringify(text).slice(1, -1);

function formatSize(bytes: number): string {
  for (const [unit, size] of [['G', 1024 ** 3], ['M', 1024 ** 2], ['K', 1024]] as const) {
    if (bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return String(bytes);
}

/** The unit text for one program. Throws ExportError for what a unit file cannot express. */
export function systemdUnit(source: UnitSource, options: UnitOptions): SystemdUnit {
  const unitName = unitNameOf(source.name);
  const limits = startLimits(source);
  const runAs = options.user ? null : (options.runAs ?? null);
  const supervision = supervisionUnitLines(source);
  const stopTimeout = supervision.killTimeoutMs === null ? STOP_TIMEOUT : timeSpan(supervision.killTimeoutMs);
  const stopSignal = supervision.killSignal ?? 'SIGTERM';
  const header = [
    `# ${unitName}: the program '${source.name}', exported from bgrun${options.bgrunVersion ? ` ${options.bgrunVersion}` : ''}.`,
    '#',
    '# It runs what bgrun runs: the same command, working folder and log files,',
    `# the restart policy '${source.restart}' and the same stop (${stopSignal} to the whole group, SIGKILL after ${stopTimeout}).`,
    '#',
    '# Environment: only the variables given with --env (Environment=) and the',
    '# --env-file files (EnvironmentFile=, read again at every start) are here.',
    "# The rest of the environment 'bgrun start' ran in (PATH, HOME, ...) is NOT",
    '# copied: systemd starts services with a small environment of its own.',
    '# Add what the program needs as more Environment= lines.',
    '#',
    `# Stop it in bgrun before enabling this unit ('bgrun stop ${source.name}'), or it runs twice.`,
  ];
  const unit = ['[Unit]', `Description=${doublePercent(`${source.name} (exported from bgrun)`)}`];
  if (limits) unit.push(`StartLimitIntervalSec=${limits.intervalSec}`, `StartLimitBurst=${limits.burst}`);
  if (source.dependsOn && source.dependsOn.length > 0) {
    const units = source.dependsOn.map(unitNameOf).join(' ');
    unit.push(
      '# dependsOn: started after these (export them too); systemd waits for them to start, not to be ready.',
      `Wants=${units}`,
      `After=${units}`,
    );
  }

  const service = ['[Service]', 'Type=simple'];
  if (runAs && runAs !== 'root') service.push(`User=${runAs}`);
  service.push(`WorkingDirectory=${unitPath(source.cwd, 'the working folder')}`);
  for (const [key, value] of Object.entries(source.envVars ?? {})) service.push(`Environment=${environmentAssignment(key, value)}`);
  for (const file of source.envFiles ?? []) service.push(`EnvironmentFile=${unitPath(file, 'the env file')}`);
  const fleet = fleetUnitLines(source);
  service.push(...fleet.comments);
  for (const [key, value] of fleet.env) service.push(`Environment=${environmentAssignment(key, value)}`);
  service.push(`ExecStart=${execStartLine(source.command)}`);
  service.push(`Restart=${source.restart}`, `RestartSec=${timeSpan(supervision.restartSecMs ?? BACKOFF_BASE_MS)}`);
  if (source.restart !== 'no' && supervision.doubles) {
    service.push(
      `# bgrun doubles the delay after each quick crash, up to ${timeSpan(BACKOFF_MAX_MS)}; systemd >= 254 can too:`,
      `#RestartSteps=${Math.ceil(Math.log2(BACKOFF_MAX_MS / BACKOFF_BASE_MS))}`,
      `#RestartMaxDelaySec=${timeSpan(BACKOFF_MAX_MS)}`,
    );
  }
  if (source.restart === 'on-failure') {
    // bgrun counts any signal as a failure; systemd counts these four as a clean exit unless told.
    service.push('RestartForceExitStatus=SIGHUP SIGINT SIGTERM SIGPIPE');
  }
  if (source.maxMemoryBytes !== null && source.maxMemoryBytes !== undefined) {
    service.push(
      `# bgrun --max-memory restarts it gracefully above ${formatSize(source.maxMemoryBytes)}; systemd can only`,
      '# kill it there (then Restart= applies). Uncomment to do that:',
      `#MemoryMax=${formatSize(source.maxMemoryBytes)}`,
    );
  }
  if (source.ready) {
    service.push(`# bgrun waited for --ready ${oneLine(source.ready)} after each start; systemd has no such probe (Type=notify needs the program's help).`);
  }
  if (source.maxLogBytes) {
    service.push(
      `# bgrun rotated these logs past ${formatSize(source.maxLogBytes)}; under systemd, rotate them with logrotate (copytruncate),`,
      '# or log to the journal instead (StandardOutput=journal).',
    );
  }
  if (source.compressLogs) service.push('# bgrun gzipped rotated copies (--compress-logs): logrotate does with "compress".');
  if (source.logTime) {
    service.push("# bgrun recorded when each line was written (--log-time); the journal does (StandardOutput=journal, 'journalctl -u' shows the times).");
  }
  service.push(
    ...supervision.lines,
    'KillMode=control-group',
    ...(supervision.killSignal ? [`KillSignal=${supervision.killSignal}`] : []),
    `TimeoutStopSec=${stopTimeout}`,
    `StandardOutput=append:${unitPath(source.outLog, 'the log file')}`,
    `StandardError=append:${unitPath(source.errLog, 'the log file')}`,
  );
  const install = ['[Install]', `WantedBy=${options.user ? 'default.target' : 'multi-user.target'}`];
  const text = `${[header.join('\n'), unit.join('\n'), service.join('\n'), install.join('\n')].join('\n\n')}\n`;
  return { name: source.name, unitName, text };
}
