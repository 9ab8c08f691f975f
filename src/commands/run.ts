import fs from 'node:fs';
import path from 'node:path';
import { type Parsed, stringValue } from '../cli-args.js';
import { type LoadedConfig, findConfig, loadConfig, loadConfigFile } from '../config/load-config.js';
import { startOrder } from '../config/order.js';
import type { ConfigApp } from '../config/validate-config.js';
import { parseDuration } from '../core/duration.js';
import { isValidName, nameFromProgram, validateName } from '../core/records/names.js';
import { ConfigError, UsageError } from '../errors.js';
import { startOptionsFromCli } from '../options/validate.js';
import type { Command } from './command.js';
import { CONFIG_NAMES, CONFIG_OPTION, PROCFILE_OPTION } from './config-apps.js';
import { startOptionSpecs } from './option-specs.js';

/** Options that still make sense when the apps come from a config. */
const CONFIG_RUN_OPTIONS = new Set(['config', 'procfile', 'stop-timeout']);

/** The start options `bgrun run` takes for a program on its command line. */
const RUN_OPTION_KEYS = [
  'name',
  'cwd',
  'env',
  'envFile',
  'interpreter',
  'restart',
  'maxRestarts',
  'minUptime',
  'ready',
  'readyTimeout',
  // The supervisor's settings that bgrun run does itself, with the supervisor's code.
  'watch',
  'watchIgnore',
  'watchDelay',
  'watchFollowSymlinks',
  'cronRestart',
  'stopExitCodes',
  'killTimeout',
  'stopSignal',
  'restartDelay',
  'expBackoffRestartDelay',
  'health',
  'healthInterval',
  'healthTimeout',
  'healthRetries',
];

/** The one app of `bgrun run <script> [args]` or `bgrun run -- <command> [args]`, from start's options. */
function commandLineApp(args: Parsed): ConfigApp {
  const v = args.values;
  const [program, ...programArgs]: (string | undefined)[] = args.dashDash ? args.rest : [args.positionals[0], ...args.rest];
  if (!program) throw new UsageError("missing program: 'bgrun run <script> [args...]' or 'bgrun run -- <command> [args...]'");
  const options = startOptionsFromCli(v, RUN_OPTION_KEYS);
  const name = options.name ?? nameFromProgram(program);
  validateName(name);
  return { interpreter: null, ...options, name, dependsOn: [], script: program, args: programArgs as string[], isCommand: args.dashDash };
}

function onlyApps(config: LoadedConfig, names: string[] | undefined): ConfigApp[] {
  return names === undefined ? config.apps : startOrder(config.apps, names, config.label);
}

/** The apps to run and where they came from: a config (all, or the names given and what they need), else the command line. */
async function chooseApps(args: Parsed): Promise<{ apps: ConfigApp[]; label: string }> {
  const v = args.values;
  const explicit = v.config !== undefined || v.procfile !== undefined;
  const fromConfig = async (config: LoadedConfig, names?: string[]) => {
    const other = Object.keys(v).find((k) => !CONFIG_RUN_OPTIONS.has(k));
    if (other) throw new UsageError(`--${other} is for a program given on the command line; for the apps of ${config.label}, set it in that file`);
    return { apps: onlyApps(config, names), label: config.label };
  };
  if (args.dashDash) {
    if (explicit) throw new UsageError('--config and --procfile run the apps of a file; they take no command after --');
    return { apps: [commandLineApp(args)], label: 'the command line' };
  }
  const options = { config: stringValue(v, 'config'), procfile: stringValue(v, 'procfile') };
  const program = args.positionals[0];
  if (program === undefined) {
    const config = await loadConfig(options);
    if (!config) {
      throw new UsageError(
        `missing program: 'bgrun run <script> [args...]' or 'bgrun run -- <command> [args...]', or put ${CONFIG_NAMES} here to run its apps`,
      );
    }
    return fromConfig(config);
  }
  const names = [program, ...args.rest];
  if (explicit || (names.every(isValidName) && !fs.existsSync(path.resolve(program)))) {
    const found = findConfig(options);
    if (found) {
      const config = await loadConfigFile(found);
      const missing = names.filter((n) => !config.apps.some((app) => app.name === n));
      if (missing.length === 0) return fromConfig(config, names);
      if (explicit) {
        throw new ConfigError(
          `${config.label} has no app named '${missing[0]}'; its apps: ${config.apps.map((a) => a.name).join(', ')}`,
          'TARGET_NOT_FOUND',
        );
      }
    }
  }
  return { apps: [commandLineApp(args)], label: 'the command line' };
}

export const run: Command = {
  name: 'run',
  usage: [
    'bgrun run [options] <script> [args...]',
    '       bgrun run [options] -- <command> [args...]',
    '       bgrun run [--config <file> | --procfile <file>] [app...]   (the apps of the config file or Procfile here: see --config)',
    '',
    "Starts the apps as its own children, in dependsOn order (each once what it depends on is ready), and prints",
    "every line they write prefixed with their name ('web | ...'; stderr lines 'web ! ...'; a colour per app on a",
    'terminal, none with NO_COLOR or when piped). Restart policies apply as with start, and so do --watch,',
    '--cron-restart, --health (a failing app is restarted), --stop-exit-codes, --stop-signal, --kill-timeout and the',
    'restart delays, each of which implies --restart on-failure; an app that ended and is watched or scheduled is',
    'started again by a change or its schedule (bgrun keeps running for it). --on-exit and --max-memory are left to',
    "the supervisor ('bgrun start'). Nothing is written to the state folder: other bgrun commands do not see these",
    "apps (use 'bgrun start' for programs they should manage).",
    '',
    'Exit status: SIGINT, SIGTERM or SIGHUP stops every app (its process tree, SIGKILL after --stop-timeout) and',
    'bgrun exits 0; the same signal again kills them at once (exit 128+signal). When an app whose restart policy',
    'is no ends (the default, as with foreman), everything stops and bgrun exits with that app\'s status (its code,',
    'or 128+signal), so a container stops when its main program dies; likewise when an app gives up after',
    '--max-restarts, or a --ready probe times out (1). When every app ended on its own, 0.',
    '',
    'As PID 1 in a container it needs an init that reaps orphaned processes: it puts bgrun-init (a tiny shell init',
    'shipped with bgrun) in front of itself (started as node .../bgrun.js on a Node before 22.15 it cannot, and',
    "says so: then start it as 'bgrun-init bgrun run', under tini, or with 'docker run --init').",
  ].join('\n'),
  stopAtPositional: true,
  noSupervisor: true,
  options: [
    ...startOptionSpecs(RUN_OPTION_KEYS, {
      name: 'the name its lines are prefixed with (default: the program name)',
      interpreter: 'run the script with this command',
      restart: 'no (default: its end stops everything), on-failure or always',
      maxRestarts: 'give up (and stop everything) after N quick crashes in a row',
      ready: 'what depends on it starts once this passes: tcp:PORT, http://..., log:/regex/ or delay:<duration>',
      readyTimeout: 'stop everything when --ready has not passed after this long (default 30s)',
    }),
    CONFIG_OPTION,
    PROCFILE_OPTION,
    { name: 'stop-timeout', type: 'string', value: '<duration>', description: 'on a stop, SIGKILL what is left after this long (default 10s)' },
  ],
  async run(args, ctx, io) {
    const { ensureReaper } = await import('../run/pid1.js');
    const warning = ensureReaper();
    if (warning) io.err(`bgrun: ${warning}`);
    const stopTimeout = stringValue(args.values, 'stop-timeout');
    const { apps, label } = await chooseApps(args);
    const { runForeground } = await import('../run/foreground.js');
    return runForeground({
      apps,
      label,
      env: ctx.env,
      color: io.color,
      stateHome: ctx.paths.home,
      stopTimeoutMs: stopTimeout === undefined ? undefined : parseDuration(stopTimeout, '--stop-timeout'),
    });
  },
};
