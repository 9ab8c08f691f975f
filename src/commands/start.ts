import fs from 'node:fs';
import path from 'node:path';
import { type OptionSpec, type Parsed, parseArgs, stringValue } from '../cli-args.js';
import type { Context } from '../core/context.js';
import { optionalDuration } from '../core/duration.js';
import { type StartOptions, startApp, startExisting } from '../core/lifecycle/start.js';
import { isValidName } from '../core/records/names.js';
import { readRecord } from '../core/records/registry.js';
import { StartError, UsageError } from '../errors.js';
import { START_OPTIONS } from '../options/start-options.js';
import { startOptionsFromCli } from '../options/validate.js';
import { type Command, JSON_OPTION } from './command.js';
import type { LaunchResult } from '../core/lifecycle/launch.js';
import { quoteArg } from './format.js';
import { CONFIG_OPTION, ONLY_OPTION, PROCFILE_OPTION, startFromConfig } from './config-apps.js';
import { startOptionSpecs } from './option-specs.js';
import { printStarted } from './started.js';

/** `bgrun start web` with no file named web here and a known program named web: start that one again. */
function knownProgram(args: Parsed, ctx: Context, program: string): boolean {
  const onlyWaitOrJson = Object.keys(args.values).every((k) => k === 'wait' || k === 'json');
  if (args.dashDash || args.rest.length > 0 || !onlyWaitOrJson || !isValidName(program)) return false;
  // A file here is the program to run; a folder is not (it cannot be run), so the known program wins.
  if (fs.statSync(path.resolve(program), { throwIfNoEntry: false })?.isDirectory() === false) return false;
  return fs.existsSync(ctx.paths.records) && readRecord(ctx.paths, program) !== null;
}

/**
 * pm2's way of writing it: `bgrun start app.js --name api -- --port 3000`. With a `--`
 * after the script, what comes between them is bgrun's options (when all of it is)
 * and what follows `--` is the script's arguments. Without `--`, everything after
 * the script stays the script's, as bgrun has always read it; when that looks like
 * bgrun's options, one note says so.
 */
function pm2ArgumentForm(given: Parsed, specs: OptionSpec[]): { args: Parsed; note?: string } {
  if (given.dashDash || given.positionals.length !== 1 || given.rest.length === 0) return { args: given };
  const at = given.rest.indexOf('--');
  const before = at >= 0 ? given.rest.slice(0, at) : given.rest;
  let parsed: Parsed;
  try {
    parsed = parseArgs(before, specs);
  } catch {
    return { args: given };
  }
  if (parsed.positionals.length > 0 || parsed.dashDash || Object.keys(parsed.values).length === 0) return { args: given };
  if (at >= 0) return { args: { ...given, values: { ...given.values, ...parsed.values }, rest: given.rest.slice(at + 1) } };
  // Option names only: a value (--env KEY=VALUE) may be a secret.
  const names = Object.keys(parsed.values).map((k) => `--${k}`).join(', ');
  return {
    args: given,
    note: `bgrun: note: ${names} went to ${given.positionals[0]} as its arguments; bgrun's options go before the script, or before a -- that ends them as pm2 reads it (bgrun start ${given.positionals[0]} ${names.split(', ')[0]} ... -- <its arguments>)`,
  };
}

export const start: Command = {
  name: 'start',
  usage:
    'bgrun start [options] <script> [args...]\n       bgrun start [options] -m <module> [args...]\n       bgrun start [options] -- <command> [args...]\n       bgrun start <name>            (start a stopped program again)\n       bgrun start [--config <file> | --procfile <file>] [app...]   (the apps of the config file or Procfile here: see --config)',
  stopAtPositional: true,
  options: [...startOptionSpecs(), CONFIG_OPTION, ONLY_OPTION, PROCFILE_OPTION, JSON_OPTION],
  async run(given, ctx, io) {
    const { args, note } = pm2ArgumentForm(given, this.options);
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
      printStarted(await startExisting(ctx, program, optionalDuration(stringValue(v, 'wait'), '--wait')), io, v.json === true, 'started');
      return 0;
    }
    const options: StartOptions = { ...startOptionsFromCli(v), script: program, args: programArgs, isCommand: args.dashDash };
    if (options.cluster) {
      const { startCluster } = await import('../core/fleet/cluster.js');
      printStarted(await startCluster(ctx, options), io, v.json === true, 'started');
      return 0;
    }
    if (options.instances !== undefined) {
      const { startInstances } = await import('../core/fleet/instances.js');
      for (const result of await startInstances(ctx, { ...options, instances: options.instances })) {
        printStarted(result, io, v.json === true, 'started');
      }
      return 0;
    }
    const hint = note ?? (!args.dashDash && module === undefined ? bgrunOptionsNote(this.options, program, programArgs) : undefined);
    let result: LaunchResult;
    try {
      result = await startApp(ctx, options);
    } catch (error) {
      throw withCommandLineHint(error, program);
    }
    printStarted(result, io, v.json === true, 'started');
    // --watch, --health…: the supervisor does them; say that the program is supervised, and why.
    // With --restart no, a watch, a schedule or a memory limit still makes it supervised: say that its exits are not restarted.
    const implied =
      START_OPTIONS.find((o) => o.supervision === 'implied' && o.flag !== null && v[o.flag] !== undefined && (v.restart === undefined || (result.record.restart === 'no' && o.startsAgain))) ??
      // --restart no --max-memory: supervised for the limit alone.
      (result.record.restart === 'no' ? START_OPTIONS.find((o) => o.ownRestart && o.flag !== null && v[o.flag] !== undefined) : undefined);
    if (implied && v.json !== true) {
      io.out(result.record.restart === 'no' ? `  supervised: --restart no (for --${implied.flag}: an exit is not restarted)` : `  supervised: --restart ${result.record.restart} (implied by --${implied.flag})`);
    }
    if (hint) io.err(hint);
    return 0;
  },
};

/**
 * `bgrun start server.js --port 3003 --name web3`: options after the script are
 * the script's (documented), but a pm2 user means them for bgrun. One line says
 * so, also when other arguments are mixed in (pm2ArgumentForm only notes a tail of
 * bgrun options); `bgrun start -- <command>` passes them without it.
 */
function bgrunOptionsNote(specs: OptionSpec[], program: string, programArgs: string[]): string | undefined {
  const found = new Set<string>();
  for (const arg of programArgs) {
    if (arg === '--') break;
    const long = /^--([^=]+)/.exec(arg);
    const spec = long ? specs.find((s) => s.name === long[1]) : /^-[A-Za-z]$/.test(arg) ? specs.find((s) => s.short === arg[1]) : undefined;
    if (spec && spec.name !== 'json') found.add(`--${spec.name}`);
  }
  if (found.size === 0) return undefined;
  // Option names only: a value (--env KEY=VALUE) may be a secret.
  const names = [...found].join(', ');
  return `bgrun: note: ${names} went to ${program} as its arguments; bgrun's options go before the script (bgrun start ${[...found][0]} … ${program} …)`;
}

/** A whole command line given as one word ("python3 -m http.server 8083") is no file and no command: say how to give it. */
function withCommandLineHint(error: unknown, program: string): unknown {
  if (!(error instanceof StartError) || error.code !== 'SCRIPT_NOT_FOUND' || !/\s/.test(program.trim())) return error;
  const words = program.trim();
  error.message += `; to run a command line, give its words separately: bgrun start -- ${words}, or run it through a shell: bgrun start -- sh -c ${quoteArg(words)}`;
  return error;
}
