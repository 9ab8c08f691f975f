import fs from 'node:fs';
import path from 'node:path';
import type { Parsed } from '../cli-args.js';
import type { Context } from '../core/context.js';
import { parseDuration } from '../core/duration.js';
import { parseEnvAssignment } from '../core/processes/env-file.js';
import { logOptions } from './start-logs.js';
import { isValidName } from '../core/records/names.js';
import type { RestartPolicy } from '../core/records/record.js';
import { readRecord } from '../core/records/registry.js';
import { parseSize } from '../core/size.js';
import { type StartOptions, startApp, startExisting } from '../core/lifecycle/start.js';
import { FLEET_START_OPTIONS, fleetOptions } from './fleet-options.js';
import { UsageError } from '../errors.js';
import { splitArgs } from '../config/split-args.js';
import { type Command, JSON_OPTION } from './command.js';
import { CONFIG_OPTION, ONLY_OPTION, PROCFILE_OPTION, startFromConfig } from './config-apps.js';
import { readyOptions } from './ready-options.js';
import { printStarted } from './started.js';

const POLICIES: RestartPolicy[] = ['no', 'on-failure', 'always'];

function restartPolicy(value: string | undefined): RestartPolicy | undefined {
  if (value === undefined) return undefined;
  if (!POLICIES.includes(value as RestartPolicy)) {
    throw new UsageError(`invalid --restart '${value}': use no, on-failure or always`);
  }
  return value as RestartPolicy;
}

function wholeNumber(value: string | undefined, what: string): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d+$/.test(value)) throw new UsageError(`invalid ${what} '${value}': use a whole number`);
  return Number(value);
}

/** `bgrun start web` with no file named web here and a known program named web: start that one again. */
function knownProgram(args: Parsed, ctx: Context, program: string): boolean {
  const onlyWaitOrJson = Object.keys(args.values).every((k) => k === 'wait' || k === 'json');
  if (args.dashDash || args.rest.length > 0 || !onlyWaitOrJson || !isValidName(program)) return false;
  if (fs.existsSync(path.resolve(program))) return false;
  return fs.existsSync(ctx.paths.records) && readRecord(ctx.paths, program) !== null;
}

export const start: Command = {
  name: 'start',
  summary: 'start a program detached, with logs and a pidfile',
  usage:
    'bgrun start [options] <script> [args...]\n       bgrun start [options] -m <module> [args...]\n       bgrun start [options] -- <command> [args...]\n       bgrun start <name>            (start a stopped program again)\n       bgrun start [--config <file> | --procfile <file>] [app...]   (the apps of bgrun.config.json, ecosystem.config.js or a Procfile here)',
  stopAtPositional: true,
  options: [
    { name: 'name', short: 'n', type: 'string', value: '<name>', description: 'name to manage it by (default: the program name)' },
    { name: 'cwd', type: 'string', value: '<dir>', description: 'working folder (default: the current one)' },
    { name: 'env', short: 'e', type: 'list', value: 'KEY=VALUE|<profile>', description: 'set a variable (repeatable); with config apps, a profile name picks env_<profile>' },
    { name: 'env-file', type: 'list', value: '<file>', description: 'read variables from a .env file, again at every restart (repeatable)' },
    { name: 'interpreter', type: 'string', value: '<cmd>', description: 'run the script with this command (default for .py: the project\'s .venv, else python3)' },
    { name: 'interpreter-args', type: 'string', value: '<args>', description: "options for the interpreter, before the script (pm2's --node-args): --interpreter-args '--max-old-space-size=4096'" },
    { name: 'node-args', type: 'string', value: '<args>', description: 'the same as --interpreter-args, as pm2 spells it' },
    { name: 'module', short: 'm', type: 'string', value: '<module>', endsOptions: true, description: 'run a Python module (python -m) with the project\'s environment; what follows is its arguments' },
    { name: 'wait', type: 'string', value: '<duration>', description: 'watch for a crash this long before returning (default 500ms, 0 to skip)' },
    { name: 'restart', type: 'string', value: '<policy>', description: 'no (default), on-failure or always: supervise and restart it' },
    { name: 'max-restarts', type: 'string', value: '<N>', description: 'give up after N quick crashes in a row (default: 10 for on-failure, unlimited for always)' },
    { name: 'min-uptime', type: 'string', value: '<duration>', description: 'a run this long resets the backoff and crash count (default 10s)' },
    { name: 'max-memory', type: 'string', value: '<size>', description: 'restart it gracefully when its memory stays above this (e.g. 300M)' },
    { name: 'ready', type: 'string', value: '<probe>', description: 'return once it is ready: tcp:PORT, http://host:port/path (2xx), log:/regex/ or delay:<duration>' },
    { name: 'ready-timeout', type: 'string', value: '<duration>', description: 'fail when --ready has not passed after this long (default 30s)' },
    CONFIG_OPTION,
    ONLY_OPTION,
    PROCFILE_OPTION,
    { name: 'max-log-size', type: 'string', value: '<size>', description: 'rotate each log past this size (e.g. 10M; 0: never; default 10M supervised, never plain)' },
    { name: 'max-log-files', type: 'string', value: '<N>', description: 'rotated copies kept per log, x.log.1 the newest (default 5)' },
    ...FLEET_START_OPTIONS,
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const v = args.values;
    const fromConfig = await startFromConfig(args, ctx, io, this.options);
    if (fromConfig !== null) return fromConfig;
    let program: string | undefined;
    let programArgs: string[];
    const module = v.module as string | undefined;
    if (module !== undefined) {
      program = module;
      programArgs = args.rest;
    } else if (args.dashDash) {
      [program, ...programArgs] = args.rest;
    } else {
      program = args.positionals[0];
      programArgs = args.rest;
    }
    if (!program) throw new UsageError("missing program: 'bgrun start <script> [args...]' or 'bgrun start -- <command> [args...]'");
    const waitMs = v.wait === undefined ? undefined : parseDuration(v.wait as string, '--wait');
    if (knownProgram(args, ctx, program)) {
      printStarted(await startExisting(ctx, program, waitMs), io, v.json === true, 'started');
      return 0;
    }
    const restart = restartPolicy(v.restart as string | undefined);
    const supervisedOnly = ['max-restarts', 'min-uptime', 'max-memory'].filter((k) => v[k] !== undefined);
    if (supervisedOnly.length > 0 && (restart ?? 'no') === 'no') {
      throw new UsageError(`--${supervisedOnly[0]} needs a supervised program: add --restart on-failure or --restart always`);
    }
    const options: StartOptions = {
      script: program,
      args: programArgs,
      isCommand: args.dashDash,
      module: module ?? null,
      interpreterArgs: splitArgs(((v['interpreter-args'] ?? v['node-args']) as string | undefined) ?? ''),
      name: v.name as string | undefined,
      cwd: v.cwd as string | undefined,
      env: Object.fromEntries(((v.env as string[] | undefined) ?? []).map(parseEnvAssignment)),
      envFiles: v['env-file'] as string[] | undefined,
      interpreter: (v.interpreter as string | undefined) ?? null,
      waitMs,
      restart,
      maxRestarts: wholeNumber(v['max-restarts'] as string | undefined, '--max-restarts'),
      minUptimeMs: v['min-uptime'] === undefined ? undefined : parseDuration(v['min-uptime'] as string, '--min-uptime'),
      maxMemoryBytes: v['max-memory'] === undefined ? undefined : parseSize(v['max-memory'] as string, '--max-memory'),
      ...readyOptions(v),
      ...logOptions(v, restart),
      ...fleetOptions(v),
    };
    if (options.instances !== undefined) {
      const { startInstances } = await import('../core/fleet/instances.js');
      for (const result of await startInstances(ctx, { ...options, instances: options.instances })) {
        printStarted(result, io, v.json === true, 'started');
      }
      return 0;
    }
    printStarted(await startApp(ctx, options), io, v.json === true, 'started');
    return 0;
  },
};
