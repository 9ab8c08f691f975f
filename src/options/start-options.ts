/**
 * Every option of a start, defined once: the CLI flag (`bgrun start --max-restarts 5`),
 * the config key (`maxRestarts: 5`, also the library's `start()`), pm2's key where pm2 has
 * one (`max_restarts`), the kind of value (kinds.ts: parser, units, placeholder, completion),
 * the help text, how it relates to supervision and to other options, and its row in
 * `bgrun show`. The command line (commands/start.ts), config files and `start()`
 * (config/validate-config.ts) all go through validate.ts with this table, so they accept
 * the same values; each only words its messages its own way.
 *
 * HOW TO ADD A START OPTION
 *  1. Add its field to StartOptions (core/lifecycle/start.ts) and, if it must outlive the
 *     start, to the record (core/records/record.ts: optional, so older records still read);
 *     write it into the record in startApp.
 *  2. Add ONE entry below with `option({...})`, where it should appear in help. Give `flag`
 *     (kebab-case) and `key` (camelCase), `pm2` if pm2 has the setting, a `kind` from
 *     kinds.ts (add a kind there if none fits), `help`, `supervision` if it only works
 *     supervised ('needs-restart') or makes bgrun supervise ('implied'), `needs` if it only
 *     makes sense with another option, and `show` for its row in `bgrun show`.
 *     CLI parsing, config keys (with typo suggestions), pm2 keys, `--help`, shell completion,
 *     `show` and the README check (test/unit/options/start-options.test.ts) pick it up.
 *     Give the config key its type and doc in AppConfig (config/define-config.ts), for
 *     editors and `defineConfig`.
 *  3. If pm2's key was refused or accepted only with a fixed value (config/pm2-keys.ts),
 *     remove it from there.
 *  4. The behaviour (core, supervisor/<feature>.ts), `export systemd` (export/systemd-unit.ts)
 *     and the README section; tests under test/unit/ and test/e2e/.
 */
import type { StartOptions } from '../core/lifecycle/start.js';
import { logLimits } from '../core/logs/limits.js';
import type { ProcessRecord } from '../core/records/record.js';
import { isSupervised, startsOnEvents } from '../core/records/supervised.js';
import { formatBytes } from '../core/size.js';
import { DEFAULT_INSTANCE_VAR } from '../core/fleet/instance-env.js';
import { DEFAULT_HEALTH_INTERVAL_MS, DEFAULT_HEALTH_RETRIES, DEFAULT_HEALTH_TIMEOUT_MS, DEFAULT_KILL_TIMEOUT_MS, DEFAULT_WATCH_DELAY_MS, nextCronRun } from '../core/supervision.js';
import { BACKOFF_MAX_MS, effectiveMaxRestarts } from '../supervisor/policy.js';
import * as kinds from './kinds.js';
import * as sup from './supervision-kinds.js';
import type { ValueKind } from './kinds.js';

/** Fields of StartOptions an option can set. */
type Field = Exclude<keyof StartOptions, 'isCommand' | 'origin'>;
type ValueOf<F extends Field> = Exclude<StartOptions[F], undefined>;

export interface StartOption<F extends Field = Field> {
  /** The camelCase key of config files and of the library's `start()`. */
  key: string;
  /** The long flag of `bgrun start`, without `--`; null: config files only (the command line has its own way). */
  flag: string | null;
  short?: string;
  /** Other spellings of the flag (pm2's: --node-args, --output, --cron…), accepted, completed and shown in help. */
  aliases?: string[];
  /**
   * pm2's ecosystem key for the same setting (it may be the key itself), other pm2 spellings,
   * and pm2's kind when pm2's values differ (autorestart: true/false).
   */
  pm2?: { key: string; aliases?: string[]; kind?: ValueKind<ValueOf<F> | undefined> };
  /** The StartOptions field the parsed value goes to; none: the option is only checked. */
  field?: F;
  /** Parses the value; undefined means "leave the default" (instances: 1). */
  kind: ValueKind<ValueOf<F> | undefined>;
  /** One line for --help, completion and the README's option list. */
  help: string;
  /** A config entry without it (nor `unless`) is refused with this message. */
  required?: { unless?: string; message: string };
  /** Another key that cannot be given with it: "give either <other> or <key>, not both". */
  conflicts?: string;
  /**
   * 'needs-restart': only for a supervised program (given without --restart, refused);
   * 'implied': asking for it makes bgrun supervise the program (the supervisor does it).
   */
  supervision?: 'needs-restart' | 'implied';
  /**
   * It starts the program by itself (a watch, a schedule), so it works with `--restart no`
   * too (pm2's `autorestart: false` with `watch` or `cron_restart`): the program is then
   * supervised, its exits are not restarted, and the other 'implied' options are allowed.
   */
  startsAgain?: true;
  /**
   * `bgrun stop` honours it for any program (a stop setting), so with an explicit
   * `--restart no` it needs no supervisor: the program stays plain (pm2 files often pair
   * `autorestart: false` with `kill_timeout`). Without `--restart` it still implies supervision.
   */
  plainToo?: true;
  /**
   * A 'needs-restart' option whose restart is bgrun's own (planned, not after an exit), so it
   * also works for a program supervised only for its watch or schedule with `--restart no`
   * (pm2 restarts an `autorestart: false` app over `max_memory_restart` too).
   */
  ownRestart?: true;
  /**
   * Another option it only makes sense with: refused when `missing` says so (it sees the
   * options parsed so far, those before it in the table, and which were given). `message`
   * gets the other option as the front end names it (`--ready`, `ready`) and shows how to
   * give it (`--instances <N>`, `instances`).
   */
  needs?: {
    key: string;
    missing(options: Partial<StartOptions>, given: (key: string) => boolean): boolean;
    message(other: { name: string; usage: string }): string;
  };
  /**
   * Its row in `bgrun show` (text): `value` null leaves the row out (not set, or moot for
   * this program); `partOf` names the option whose row shows it too (watch's row shows
   * --watch-ignore). `show --json` gives the record's field of every option with a row.
   * Every option with `supervision` needs one (a unit test checks); without it, show
   * still prints the raw value (options/show-rows.ts).
   */
  show?: { label: string; value(record: ProcessRecord): string | null } | { partOf: string };
}

/** Keeps each entry's kind and field in step (type-checked), then erases the field's type for the table. */
function option<F extends Field>(definition: StartOption<F>): StartOption {
  return definition as unknown as StartOption;
}

/** Options that only mean something for the copies of an app. */
const copies: StartOption['needs'] = {
  key: 'instances',
  missing: (_o, given) => !given('instances'),
  message: (instances) => `is for copies of an app: add ${instances.usage}`,
};

/** Options of a watch, of a health check: nothing to do without it. */
const watching: StartOption['needs'] = {
  key: 'watch',
  missing: (o) => o.watch === undefined,
  message: (watch) => `needs ${watch.name}: what to watch`,
};
const checking: StartOption['needs'] = {
  key: 'health',
  missing: (o) => o.health === undefined,
  message: (health) => `needs ${health.name}: the probe to run`,
};

/** What starts a `--restart no` program again: `its --cron-restart schedule`, `a change of watched files`. */
const eventsOf = (r: ProcessRecord) =>
  [r.cronRestart ? 'its --cron-restart schedule' : null, r.watch?.length ? 'a change of watched files' : null].filter(Boolean).join(' or ');
/** What a supervised program with restart no still gets: started again by events, restarted over its memory limit. */
const noRestartButWhat = (r: ProcessRecord) =>
  `${startsOnEvents(r) ? `; ${eventsOf(r)} starts it again` : ''}${r.maxMemoryBytes !== null ? '; over --max-memory it is restarted' : ''}`;
const list = (items: string[]) => (items.length > 0 ? items.join(', ') : '-');
/** A duration as show prints it: 10s, 1500ms. */
const ms = (value: number) => (value % 1000 === 0 ? `${value / 1000}s` : `${value}ms`);
/** A setting that only means something under the supervisor: no row for a plain program. */
const supervised = (r: ProcessRecord, text: () => string) => (r.restart === 'no' ? null : text());

function nextCron(expression: string): string {
  try {
    return nextCronRun(expression)?.toISOString() ?? 'never';
  } catch {
    return 'never';
  }
}

/** The start options, in the order of `bgrun start --help`. */
export const START_OPTIONS: readonly StartOption[] = [
  option({
    key: 'script',
    flag: null,
    field: 'script',
    kind: kinds.text('<script>', 'files'),
    help: 'the script or command to run',
    required: { unless: 'module', message: 'missing: the script or command to run (or module: a Python module)' },
  }),
  option({ key: 'args', flag: null, field: 'args', kind: kinds.args, help: 'its arguments (a string is split at spaces, quotes group)' }),
  option({ key: 'name', flag: 'name', short: 'n', field: 'name', kind: kinds.name, help: 'name to manage it by (default: the program name)' }),
  option({
    key: 'cwd',
    flag: 'cwd',
    field: 'cwd',
    kind: kinds.folder,
    help: 'working folder (default: the current one)',
    show: { label: 'cwd', value: (r) => r.cwd },
  }),
  option({
    key: 'env',
    flag: 'env',
    short: 'e',
    field: 'env',
    kind: kinds.env,
    help: 'set a variable (repeatable); with config apps, a profile name picks env_<profile>',
    show: { label: 'env set', value: (r) => list(Object.keys(r.envVars)) },
  }),
  option({
    key: 'envFile',
    flag: 'env-file',
    field: 'envFiles',
    kind: kinds.startFiles,
    help: 'read variables from a .env file, relative to --cwd, again at every restart (repeatable)',
    show: { label: 'env files', value: (r) => list(r.envFiles) },
  }),
  option({
    key: 'interpreter',
    flag: 'interpreter',
    field: 'interpreter',
    kind: kinds.interpreter,
    help: "run the script with this command (default for .py: the project's .venv, else python3); none: run the script itself, by its shebang",
  }),
  option({
    key: 'interpreterArgs',
    flag: 'interpreter-args',
    aliases: ['node-args'],
    field: 'interpreterArgs',
    kind: kinds.args,
    help: "options for the interpreter, before the script: --interpreter-args '--max-old-space-size=4096'",
  }),
  option({
    key: 'module',
    flag: 'module',
    short: 'm',
    field: 'module',
    kind: kinds.pythonModule,
    conflicts: 'script',
    help: "run a Python module (python -m) with the project's environment; what follows is its arguments",
  }),
  option({ key: 'wait', flag: 'wait', field: 'waitMs', kind: kinds.duration, help: 'watch for a crash this long before returning (default 500ms, 0 to skip)' }),
  option({
    key: 'restart',
    flag: 'restart',
    pm2: { key: 'autorestart', kind: kinds.autorestart },
    field: 'restart',
    kind: kinds.policy,
    help: `${kinds.RESTART_POLICIES[0]} (default), ${kinds.RESTART_POLICIES.slice(1).join(' or ')}: supervise and restart it`,
    show: { label: 'restart policy', value: (r) => (r.restart === 'no' && isSupervised(r) ? `no (supervised: an exit is not restarted${noRestartButWhat(r)})` : r.restart) },
  }),
  option({
    key: 'maxRestarts',
    flag: 'max-restarts',
    pm2: { key: 'max_restarts' },
    field: 'maxRestarts',
    kind: kinds.count,
    help: 'give up after N quick crashes in a row (default: 10 for on-failure, unlimited for always)',
    supervision: 'needs-restart',
    show: {
      label: 'max restarts',
      value: (r) =>
        supervised(r, () => {
          const limit = effectiveMaxRestarts(r.restart, r.maxRestarts);
          return `${Number.isFinite(limit) ? limit : 'unlimited'} quick crashes in a row${r.maxRestarts === null ? ' (default)' : ''}`;
        }),
    },
  }),
  option({
    key: 'minUptime',
    flag: 'min-uptime',
    pm2: { key: 'min_uptime' },
    field: 'minUptimeMs',
    kind: kinds.duration,
    help: 'a run this long resets the backoff and crash count (default 10s)',
    supervision: 'needs-restart',
    show: { label: 'min uptime', value: (r) => supervised(r, () => ms(r.minUptimeMs)) },
  }),
  option({
    key: 'maxMemory',
    flag: 'max-memory',
    pm2: { key: 'max_memory_restart' },
    field: 'maxMemoryBytes',
    kind: kinds.size,
    help: 'restart it gracefully when its memory stays above this (e.g. 300M)',
    supervision: 'needs-restart',
    ownRestart: true,
    show: { label: 'max memory', value: (r) => (r.maxMemoryBytes === null ? null : `${formatBytes(r.maxMemoryBytes)} (then a graceful restart)`) },
  }),
  option({
    key: 'ready',
    flag: 'ready',
    field: 'ready',
    kind: kinds.probe,
    help: 'return once it is ready: tcp:PORT, http://host:port/path (2xx), log:/regex/ or delay:<duration>',
    show: { label: 'ready', value: (r) => (r.ready ? `${r.ready}${r.readyAt ? ` (passed ${r.readyAt})` : ''}` : '-') },
  }),
  option({
    key: 'readyTimeout',
    flag: 'ready-timeout',
    field: 'readyTimeoutMs',
    kind: kinds.duration,
    help: 'fail when --ready has not passed after this long (default 30s)',
    needs: { key: 'ready', missing: (o) => o.ready === undefined, message: (ready) => `needs ${ready.name}: the probe to wait for` },
  }),
  option({
    key: 'maxLogSize',
    flag: 'max-log-size',
    field: 'maxLogBytes',
    kind: kinds.logSize,
    help: 'rotate each log past this size (e.g. 10M; 0: never; default 10M supervised, never plain)',
    show: {
      label: 'log rotation',
      value(r) {
        const limits = logLimits(r);
        return limits ? `past ${formatBytes(limits.maxBytes)}, ${limits.maxFiles} copies kept${r.compressLogs ? ' (gzipped)' : ''}` : 'never';
      },
    },
  }),
  option({
    key: 'maxLogFiles',
    flag: 'max-log-files',
    field: 'maxLogFiles',
    kind: kinds.logFiles,
    help: 'rotated copies kept per log, x.log.1 the newest (default 5)',
    needs: {
      key: 'maxLogSize',
      missing: (o) => (o.restart ?? 'no') === 'no' && !o.maxLogBytes,
      message: (size) => `needs ${size.name} for a plain program (supervised programs rotate at 10M by default)`,
    },
  }),
  option({
    key: 'compressLogs',
    flag: 'compress-logs',
    field: 'compressLogs',
    kind: kinds.flag,
    help: 'gzip rotated copies (x.log.1.gz); logs and --since read them',
  }),
  option({
    key: 'outLog',
    flag: 'out-log',
    aliases: ['output'],
    pm2: { key: 'out_file' },
    field: 'outLog',
    kind: kinds.logFile,
    help: 'write stdout to this file, relative to --cwd (default: the state folder); rotation, logs and flush work on it',
  }),
  option({
    key: 'errLog',
    flag: 'err-log',
    aliases: ['error'],
    pm2: { key: 'error_file' },
    field: 'errLog',
    kind: kinds.logFile,
    help: 'write stderr to this file',
  }),
  option({
    key: 'log',
    flag: 'log',
    pm2: { key: 'log_file' },
    field: 'log',
    kind: kinds.logFile,
    conflicts: 'outLog',
    help: 'write stdout and stderr both to this one file',
  }),
  option({
    key: 'sharedLog',
    flag: 'shared-log',
    field: 'sharedLog',
    kind: kinds.flag,
    help: 'let other programs started with --shared-log log to the same files (refused otherwise)',
    show: { label: 'shared log', value: (r) => (r.sharedLog ? 'yes (--shared-log)' : 'no') },
  }),
  option({
    key: 'logTime',
    flag: 'log-time',
    aliases: ['time'],
    pm2: { key: 'time', aliases: ['log_date_format'], kind: kinds.pm2LogTime },
    field: 'logTime',
    kind: kinds.flag,
    help: "record when each line is written, for 'logs -t' and 'logs --since'",
    show: { label: 'log times', value: (r) => (r.logTime ? 'recorded (logs -t)' : 'no') },
  }),
  option({
    key: 'dependsOn',
    flag: null,
    field: 'dependsOn',
    kind: kinds.names,
    help: 'names of apps that must be started and ready before this one',
    show: { label: 'depends on', value: (r) => list(r.dependsOn ?? []) },
  }),
  option({
    key: 'instances',
    flag: 'instances',
    short: 'i',
    pm2: { key: 'instances' },
    field: 'instances',
    kind: kinds.instances,
    help: 'run N copies named <name>.0 … <name>.<N-1> (max or 0: one per CPU, -1: one less); the name addresses them all',
  }),
  option({
    key: 'incrementVar',
    flag: 'increment-var',
    pm2: { key: 'increment_var' },
    field: 'incrementVar',
    kind: kinds.variable,
    help: 'raise this numeric variable by the copy index in each copy (e.g. PORT)',
    needs: copies,
  }),
  option({
    key: 'instanceVar',
    flag: 'instance-var',
    pm2: { key: 'instance_var' },
    field: 'instanceVar',
    kind: kinds.variable,
    help: `the variable holding the copy index besides BGRUN_INSTANCE (default ${DEFAULT_INSTANCE_VAR})`,
    needs: copies,
  }),
  option({
    key: 'mergeLogs',
    flag: 'merge-logs',
    pm2: { key: 'merge_logs', aliases: ['combine_logs'] },
    field: 'mergeLogs',
    kind: kinds.flag,
    help: 'copies share one out and one err log named after the app',
  }),
  option({
    key: 'namespace',
    flag: 'namespace',
    pm2: { key: 'namespace' },
    field: 'namespace',
    kind: kinds.namespace,
    help: "a group for 'list' and for targets written @<ns> (stop @<ns>, logs @<ns>…)",
  }),
  // The supervisor's settings (issue 13; README "Supervision"): each makes bgrun supervise the program.
  option({
    key: 'watch',
    flag: 'watch',
    pm2: { key: 'watch' },
    field: 'watch',
    kind: sup.watchPaths,
    help: 'restart it when files change under its folder, or under <path> (repeatable)',
    supervision: 'implied',
    startsAgain: true,
    show: {
      label: 'watch',
      value(r) {
        if (!r.watch?.length) return null;
        const ignore = r.watchIgnore?.length ? `, ignoring ${r.watchIgnore.join(', ')}` : '';
        return `${r.watch.join(', ')}${ignore} (settles ${ms(r.watchDelayMs ?? DEFAULT_WATCH_DELAY_MS)}${r.watchFollowSymlinks ? ', follows symlinks' : ''})`;
      },
    },
  }),
  option({
    key: 'watchIgnore',
    flag: 'watch-ignore',
    pm2: { key: 'ignore_watch' },
    field: 'watchIgnore',
    kind: sup.globs,
    help: 'never watch these (repeatable; node_modules, .git and logs always ignored)',
    supervision: 'implied',
    needs: watching,
    show: { partOf: 'watch' },
  }),
  option({
    key: 'watchDelay',
    flag: 'watch-delay',
    pm2: { key: 'watch_delay' },
    field: 'watchDelayMs',
    kind: kinds.duration,
    help: 'wait for changes to settle this long before the restart (default 500ms)',
    supervision: 'implied',
    needs: watching,
    show: { partOf: 'watch' },
  }),
  option({
    key: 'watchFollowSymlinks',
    flag: 'watch-follow-symlinks',
    pm2: { key: 'watch_options', kind: sup.watchOptions },
    field: 'watchFollowSymlinks',
    kind: kinds.flag,
    help: 'follow symbolic links inside watched folders',
    supervision: 'implied',
    needs: watching,
    show: { partOf: 'watch' },
  }),
  option({
    key: 'cronRestart',
    flag: 'cron-restart',
    aliases: ['cron'],
    pm2: { key: 'cron_restart' },
    field: 'cronRestart',
    kind: sup.cron,
    help: 'restart it on this cron schedule, or start it if it is not running ("0 3 * * *")',
    supervision: 'implied',
    startsAgain: true,
    show: {
      label: 'cron restart',
      value: (r) => (r.cronRestart ? `${r.cronRestart}${r.desired === 'running' ? ` (next ${nextCron(r.cronRestart)})` : ' (stopped: not scheduled)'}` : null),
    },
  }),
  option({
    key: 'stopExitCodes',
    flag: 'stop-exit-codes',
    pm2: { key: 'stop_exit_codes' },
    field: 'stopExitCodes',
    kind: sup.exitCodes,
    help: 'exit codes that mean done: never restarted (e.g. 0,3)',
    supervision: 'implied',
    show: { label: 'stop exit codes', value: (r) => (r.stopExitCodes?.length ? r.stopExitCodes.join(', ') : null) },
  }),
  option({
    key: 'killTimeout',
    flag: 'kill-timeout',
    pm2: { key: 'kill_timeout' },
    field: 'killTimeoutMs',
    kind: sup.positiveDuration,
    help: 'every stop of it sends SIGKILL after this long (default 10s)',
    supervision: 'implied',
    plainToo: true,
    show: {
      label: 'stop',
      value: (r) =>
        r.killTimeoutMs === undefined && r.stopSignal === undefined
          ? null
          : `${r.stopSignal ?? 'SIGTERM'}, then SIGKILL after ${ms(r.killTimeoutMs ?? DEFAULT_KILL_TIMEOUT_MS)}`,
    },
  }),
  option({
    key: 'stopSignal',
    flag: 'stop-signal',
    field: 'stopSignal',
    kind: sup.signal,
    help: 'signal of a graceful stop (default TERM)',
    supervision: 'implied',
    plainToo: true,
    show: { partOf: 'killTimeout' },
  }),
  option({
    key: 'restartDelay',
    flag: 'restart-delay',
    pm2: { key: 'restart_delay' },
    field: 'restartDelayMs',
    kind: kinds.duration,
    help: 'wait this long before each automatic restart (instead of the backoff)',
    supervision: 'implied',
    show: {
      label: 'restart delay',
      value(r) {
        if (r.expBackoffRestartDelayMs !== undefined) return `from ${ms(r.expBackoffRestartDelayMs)}, doubling up to ${ms(Math.max(BACKOFF_MAX_MS, r.expBackoffRestartDelayMs))}`;
        return r.restartDelayMs === undefined ? null : `${ms(r.restartDelayMs)} before each restart`;
      },
    },
  }),
  option({
    key: 'expBackoffRestartDelay',
    flag: 'exp-backoff-restart-delay',
    pm2: { key: 'exp_backoff_restart_delay' },
    field: 'expBackoffRestartDelayMs',
    kind: sup.positiveDuration,
    help: 'first step of the doubling restart backoff (default 100ms)',
    supervision: 'implied',
    show: { partOf: 'restartDelay' },
  }),
  option({
    key: 'health',
    flag: 'health',
    field: 'health',
    kind: sup.healthProbe,
    help: 'health check: tcp:PORT, http://host:port/path, log:/regex/ or cmd:<command>',
    supervision: 'implied',
    show: {
      label: 'health',
      value(r) {
        if (!r.health) return null;
        const state = r.status !== 'running' ? '' : r.unhealthy ? ` (failing: ${r.healthError ?? 'unknown'})` : ' (passing)';
        const every = ms(r.healthIntervalMs ?? DEFAULT_HEALTH_INTERVAL_MS);
        const timeout = ms(r.healthTimeoutMs ?? DEFAULT_HEALTH_TIMEOUT_MS);
        return `${r.health} every ${every}, timeout ${timeout}, restart after ${r.healthRetries ?? DEFAULT_HEALTH_RETRIES} failures${state}`;
      },
    },
  }),
  option({
    key: 'healthInterval',
    flag: 'health-interval',
    field: 'healthIntervalMs',
    kind: sup.positiveDuration,
    help: 'run the health check this often (default 10s)',
    supervision: 'implied',
    needs: checking,
    show: { partOf: 'health' },
  }),
  option({
    key: 'healthTimeout',
    flag: 'health-timeout',
    field: 'healthTimeoutMs',
    kind: sup.positiveDuration,
    help: 'a check taking longer fails (default 5s)',
    supervision: 'implied',
    needs: checking,
    show: { partOf: 'health' },
  }),
  option({
    key: 'healthRetries',
    flag: 'health-retries',
    field: 'healthRetries',
    kind: sup.retries,
    help: 'restart it after N failed checks in a row (default 3)',
    supervision: 'implied',
    needs: checking,
    show: { partOf: 'health' },
  }),
  option({
    key: 'onExit',
    flag: 'on-exit',
    field: 'onExit',
    kind: sup.shellCommand,
    help: 'run this shell command after every exit no stop asked for (BGRUN_* variables)',
    supervision: 'implied',
    show: { label: 'on exit', value: (r) => r.onExit ?? null },
  }),
  option({
    key: 'execMode',
    flag: 'cluster',
    pm2: { key: 'exec_mode' },
    field: 'cluster',
    kind: kinds.execMode,
    help: 'Node programs: copies share the port (Node\'s cluster module, one small primary); reload with no failed request (config: execMode "cluster")',
  }),
];

/** The option of a config key, pm2 key or flag. */
export const optionByKey = (key: string) => START_OPTIONS.find((o) => o.key === key);

