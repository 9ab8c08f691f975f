import fs from 'node:fs';
import path from 'node:path';
import { type Parsed, stringValue } from '../cli-args.js';
import type { Context } from '../core/context.js';
import { parseDuration } from '../core/duration.js';
import { type StartOptions, startApp, startExisting } from '../core/lifecycle/start.js';
import { isValidName } from '../core/records/names.js';
import { readRecord } from '../core/records/registry.js';
import { UsageError } from '../errors.js';
import { startOptionsFromCli } from '../options/validate.js';
import { type Command, JSON_OPTION } from './command.js';
import { CONFIG_OPTION, ONLY_OPTION, PROCFILE_OPTION, startFromConfig } from './config-apps.js';
import { startOptionSpecs } from './option-specs.js';
import { printStarted } from './started.js';

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
  options: [...startOptionSpecs(), CONFIG_OPTION, ONLY_OPTION, PROCFILE_OPTION, JSON_OPTION],
  async run(args, ctx, io) {
    const v = args.values;
    const fromConfig = await startFromConfig(args, ctx, io, this.options);
    if (fromConfig !== null) return fromConfig;
    let program: string | undefined;
    let programArgs: string[];
    const module = stringValue(v, 'module');
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
    if (knownProgram(args, ctx, program)) {
      const wait = stringValue(v, 'wait');
      printStarted(await startExisting(ctx, program, wait === undefined ? undefined : parseDuration(wait, '--wait')), io, v.json === true, 'started');
      return 0;
    }
    const options: StartOptions = { ...startOptionsFromCli(v), script: program, args: programArgs, isCommand: args.dashDash };
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
