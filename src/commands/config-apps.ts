/**
 * The config-file side of start, stop, restart, logs and show: app names from
 * bgrun.config.* / ecosystem.config.* / Procfile, and `bgrun start` with no program.
 */
import fs from 'node:fs';
import path from 'node:path';
import { type OptionSpec, type Parsed, listValue, parseArgs, stringValue } from '../cli-args.js';
import { CONFIG_FILES_TEXT, type LoadedConfig, findConfig, isConfigFileName, loadConfig, loadConfigFile } from '../config/load-config.js';
import { splitEnvValues, withEnvProfile } from '../config/env-profile.js';
import { startOrder } from '../config/order.js';
import { type AppOutcome, startConfigApps } from '../config/start-config.js';
import type { Context } from '../core/context.js';
import { optionalDuration } from '../core/duration.js';
import { isValidName } from '../core/records/names.js';
import type { ProcessRecord } from '../core/records/record.js';
import { readRecords } from '../core/records/registry.js';
import { type StopOptions, type StopResult, stopRecord, stopRecords } from '../core/lifecycle/stop.js';
import { type TargetOptions, resolveTargets } from '../core/records/targets.js';
import { belongsToConfig } from '../core/records/origin.js';
import { ConfigError, TargetNotFoundError, UsageError } from '../errors.js';
import { pm2EnvFileHint } from '../pm2-flags.js';
import { createProgress } from '../output/progress.js';
import type { Io } from './command.js';
import { paint, printable } from './format.js';
import { printPython, ranAndExitedLine, startedJson } from './started.js';

export const CONFIG_OPTION: OptionSpec = {
  name: 'config',
  type: 'string',
  value: '<file>',
  description: `the config file (default: the first here of ${CONFIG_FILES_TEXT}; else a Procfile)`,
};
/** stop and restart: with no target, they act on the apps of the config. */
export const TARGETS_CONFIG_OPTION: OptionSpec = {
  name: 'config',
  type: 'string',
  value: '<file>',
  description:
    `with no target: the apps of this config file or Procfile, in dependency order (default: the first here of ${CONFIG_FILES_TEXT}; else a Procfile); the file can also be given as the target, as pm2 takes it`,
};
/** pm2's `--only <app[,app]>`: with a config file, only these apps (and what they depend on). */
export const ONLY_OPTION: OptionSpec = {
  name: 'only',
  type: 'list',
  value: '<app[,app]>',
  description: "with a config file: only these apps, as pm2's --only (repeatable, or comma-separated)",
};

/** The app names of --only (pm2 splits at commas and spaces); undefined when not given. */
function onlyApps(args: Parsed): string[] | undefined {
  const only = listValue(args.values, 'only');
  const given = only.length > 0 ? only : undefined;
  return given?.flatMap((v) => v.split(/[,\s]+/)).filter((n) => n !== '');
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/**
 * pm2's `pm2 <verb> ecosystem.config.js`: a config file given where a program
 * or a target goes means its apps. Returns the file, or null.
 */
export function configFileArgument(args: Parsed): string | null {
  const [first] = args.positionals;
  if (first === undefined || args.dashDash || args.values.interpreter !== undefined) return null;
  return isConfigFileName(first) && isFile(path.resolve(first)) ? first : null;
}

export const PROCFILE_OPTION: OptionSpec = {
  name: 'procfile',
  type: 'string',
  value: '<file>',
  description: "start the apps of this Procfile ('name: command' lines; .env beside it is loaded)",
};

/** What `start` and `run` with no program look for, as their usage errors say it. */
export const CONFIG_NAMES = `a config file (${CONFIG_FILES_TEXT}) or a Procfile`;

/** Options that still make sense when the apps come from a config. */
const CONFIG_START_OPTIONS = new Set(['config', 'procfile', 'wait', 'json', 'only']);

/** `--env <profile>` with config apps (pm2's env_<profile>); `--env KEY=VALUE` belongs to a program on the command line. */
export function envProfileOption(args: Parsed, label: string): string | undefined {
  const values = listValue(args.values, 'env');
  if (values.length === 0) return undefined;
  const { assignments, profiles } = splitEnvValues(values);
  if (assignments.length > 0) {
    throw new UsageError(`--env ${assignments[0]} is for a program given on the command line; for the apps of ${label}, set it in that file, or name a profile: --env production picks env_production`);
  }
  const logFile = profiles.map(pm2EnvFileHint).find((hint) => hint !== null);
  if (logFile) throw new UsageError(`invalid --env: expected a profile name, and ${logFile}; for the apps of ${label}, set error_file in that file`);
  if (profiles.length > 1) throw new UsageError(`give one env profile, not ${profiles.length} (--env ${profiles.join(', --env ')})`);
  return profiles[0];
}

function checkConfigOptions(args: Parsed, label: string): void {
  envProfileOption(args, label);
  const other = Object.keys(args.values).find((k) => !CONFIG_START_OPTIONS.has(k) && k !== 'env');
  if (other) {
    throw new UsageError(`--${other} is for a program given on the command line; for the apps of ${label}, set it in that file`);
  }
}

export function printOutcome(o: AppOutcome, io: Io): void {
  if (o.copies) {
    for (const record of o.copies) printOutcome({ ...o, name: record.name, record, copies: undefined }, io);
    return;
  }
  const r = o.record;
  const name = paint(o.name, 'bold', io.color);
  const ready = o.ready ? `, ready (${o.ready})` : '';
  if (o.action === 'running') io.out(`${name} is already running (pid ${r.pid})${ready}`);
  else if (o.action === 'exited') io.out(ranAndExitedLine(o.name, r.exitCode, o.endedPid, io.color));
  else io.out(`started ${name} (pid ${r.pid})${ready}`);
  // As a start from the command line: which Python it runs with (not repeated for one already running).
  if (o.action !== 'running') printPython(r, io);
}

async function runConfig(config: LoadedConfig, only: string[] | undefined, args: Parsed, ctx: Context, io: Io): Promise<number> {
  checkConfigOptions(args, config.label);
  // A pm2 file's keys are quoted in its warnings: shown, never sent to the terminal.
  for (const warning of config.warnings) io.err(`bgrun: warning: ${printable(warning)}`);
  const json = args.values.json === true;
  const waitMs = optionalDuration(stringValue(args.values, 'wait'), '--wait');
  const progress = createProgress(io, 'starting', startOrder(config.apps, only, config.label).length, { json });
  let outcomes: AppOutcome[];
  try {
    outcomes = await startConfigApps(ctx, withEnvProfile(config, envProfileOption(args, config.label)), {
      only,
      waitMs,
      onApp: json ? undefined : (o) => printOutcome(o, progress.io),
      progress,
    });
  } finally {
    progress.finish();
  }
  if (json) io.out(JSON.stringify(outcomes.flatMap((o) => (o.copies ?? [o.record]).map((r) => ({ ...startedJson(r), action: o.action })))));
  return 0;
}

/**
 * `bgrun start` from a config: with no program, every app; with names of
 * config apps (that are not files here), those and what they depend on.
 * Returns null when the command line is about a program instead.
 */
export async function startFromConfig(given: Parsed, ctx: Context, io: Io, specs: OptionSpec[] = []): Promise<number | null> {
  let args = given;
  const file = configFileArgument(given);
  if (file !== null) {
    // `bgrun start ecosystem.config.js --only api`: what follows the file is bgrun's options (and app names), not arguments.
    if (given.values.config !== undefined || given.values.procfile !== undefined) {
      throw new UsageError(`give the config file once: either ${file} or --config/--procfile`);
    }
    const more = parseArgs(given.rest, specs);
    if (more.dashDash) throw new UsageError(`${file} is a config file: its apps take their arguments from it, not after --`);
    args = { values: { ...given.values, ...more.values, config: file }, positionals: more.positionals, rest: [], dashDash: false };
    const only = [...(onlyApps(args) ?? []), ...args.positionals];
    const config = await loadConfigFile(findConfig({ config: file })!);
    const names = only.map((n) => configAppNamed(config, n).name);
    return runConfig(config, names.length > 0 ? names : undefined, args, ctx, io);
  }
  const v = args.values;
  const explicit = v.config !== undefined || v.procfile !== undefined;
  if (args.dashDash || v.module !== undefined) {
    if (explicit) throw new UsageError(`--config and --procfile start the apps of a file; they take no ${args.dashDash ? 'command after --' : '-m module'}`);
    return null;
  }
  const options = { config: stringValue(v, 'config'), procfile: stringValue(v, 'procfile') };
  const program = args.positionals[0];
  if (program === undefined) {
    const config = await loadConfig(options);
    if (!config) {
      throw new UsageError(
        `missing program: 'bgrun start <script> [args...]' or 'bgrun start -- <command> [args...]', or put ${CONFIG_NAMES} here to start its apps`,
      );
    }
    return runConfig(config, onlyApps(args), args, ctx, io);
  }
  const names = [program, ...args.rest];
  if (!explicit) {
    // A script here, or a script with arguments, is never mistaken for an app name.
    if (!names.every(isValidName) || fs.existsSync(path.resolve(program))) return null;
  }
  const found = findConfig(options);
  if (!found) return null;
  const config = await loadConfigFile(found);
  const missing = names.filter((n) => !config.apps.some((app) => app.name === n));
  if (missing.length > 0) {
    if (!explicit) return null;
    throw new ConfigError(`${config.label} has no app named '${missing[0]}'; its apps: ${config.apps.map((a) => a.name).join(', ')}`, 'TARGET_NOT_FOUND');
  }
  return runConfig(config, names, args, ctx, io);
}

/** The config's app of this name, else of this display name ("My API"): a name always wins, as in resolveTargets. */
function configAppNamed(config: LoadedConfig, n: string): LoadedConfig['apps'][number] {
  const app = config.apps.find((a) => a.name === n) ?? config.apps.find((a) => a.displayName === n);
  if (!app) throw new ConfigError(`${config.label} has no app named '${n}'; its apps: ${config.apps.map((a) => a.name).join(', ')}`, 'TARGET_NOT_FOUND');
  return app;
}

/**
 * resolveTargets, with a better message for a name that is an app of the
 * config here but was never started.
 */
export async function resolveConfigTargets(ctx: Context, targets: string[], configFile?: string, options: TargetOptions = {}): Promise<ProcessRecord[]> {
  try {
    return resolveTargets(ctx, targets, options);
  } catch (error) {
    if (!(error instanceof TargetNotFoundError) || error.code !== 'TARGET_NOT_FOUND') throw error;
    let config: LoadedConfig | null = null;
    try {
      config = await loadConfig({ config: configFile });
    } catch (configError) {
      // An explicit --config that is broken is the problem to report; a broken file found here is not.
      if (configFile !== undefined) throw configError;
    }
    if (config?.apps.some((app) => app.name === error.target)) {
      throw new TargetNotFoundError(
        error.target,
        `'${error.target}' is an app of ${config.label} but has not been started; start it with 'bgrun start ${error.target}'`,
      );
    }
    throw error;
  }
}

/**
 * The records stop and restart act on: the targets given, or with none the
 * apps of the config that bgrun knows, in dependency order (`order: 'stop'`
 * puts dependents first).
 */
export async function targetsOrConfigApps(
  ctx: Context,
  args: Parsed,
  usage: string,
  order: 'start' | 'stop',
): Promise<{ records: ProcessRecord[]; fromConfig: boolean }> {
  const fileArgument = configFileArgument(args);
  if (fileArgument !== null && args.positionals.length > 1) {
    throw new UsageError(`${fileArgument} is a config file: give it alone (--only <app> chooses apps)`);
  }
  const configFile = fileArgument ?? stringValue(args.values, 'config');
  if (args.positionals.length > 0 && fileArgument === null) {
    return { records: await resolveConfigTargets(ctx, args.positionals, configFile), fromConfig: false };
  }
  const config = await loadConfig({ config: configFile });
  if (!config) throw new UsageError(`missing target: ${usage}`);
  const { records } = readRecords(ctx.paths);
  const only = onlyApps(args)?.map((n) => configAppNamed(config, n).name);
  const ordered = startOrder(config.apps, undefined, config.label).filter((app) => only === undefined || only.includes(app.name));
  if (order === 'stop') ordered.reverse();
  const origin = { kind: 'config' as const, file: config.file, cwd: process.cwd() };
  // Only this config's own programs: a same-named program of another project is not touched.
  const chosen = ordered
    .map((app) => {
      const record = records.find((r) => r.name === app.name);
      const wanted = { script: app.script, args: app.args, cwd: path.resolve(app.cwd ?? process.cwd()), origin };
      return record && belongsToConfig(record, wanted) ? record : undefined;
    })
    .filter((r): r is ProcessRecord => r !== undefined);
  return { records: chosen, fromConfig: true };
}

/** Stops the targets; the apps of a config one after the other, dependents first. */
export async function stopTargets(ctx: Context, args: Parsed, usage: string, options: StopOptions): Promise<StopResult[]> {
  const { records, fromConfig } = await targetsOrConfigApps(ctx, args, usage, 'stop');
  options.progress?.setTotal(records.length);
  if (!fromConfig) return stopRecords(ctx, records, options);
  const results: StopResult[] = [];
  for (const record of records) results.push(await stopRecord(ctx, record, options));
  return results;
}
