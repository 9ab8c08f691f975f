import { parseDuration } from '../core/duration.js';
import { parseEnvAssignment } from '../core/env-file.js';
import { startApp } from '../core/start.js';
import { UsageError } from '../errors.js';
import { type Command, JSON_OPTION } from './command.js';
import { printStarted } from './started.js';

export const start: Command = {
  name: 'start',
  summary: 'start a program detached, with logs and a pidfile',
  usage: 'bgrun start [options] <script> [args...]\n       bgrun start [options] -- <command> [args...]',
  stopAtPositional: true,
  options: [
    { name: 'name', short: 'n', type: 'string', value: '<name>', description: 'name to manage it by (default: the program name)' },
    { name: 'cwd', type: 'string', value: '<dir>', description: 'working folder (default: the current one)' },
    { name: 'env', short: 'e', type: 'list', value: 'KEY=VALUE', description: 'set a variable (repeatable)' },
    { name: 'env-file', type: 'list', value: '<file>', description: 'read variables from a .env file (repeatable)' },
    { name: 'interpreter', type: 'string', value: '<cmd>', description: 'run the script with this command' },
    { name: 'wait', type: 'string', value: '<duration>', description: 'watch for a crash this long before returning (default 500ms, 0 to skip)' },
    JSON_OPTION,
  ],
  async run(args, ctx, io) {
    const v = args.values;
    let program: string | undefined;
    let programArgs: string[];
    if (args.dashDash) {
      [program, ...programArgs] = args.rest;
    } else {
      program = args.positionals[0];
      programArgs = args.rest;
    }
    if (!program) throw new UsageError("missing program: 'bgrun start <script> [args...]' or 'bgrun start -- <command> [args...]'");
    const env = Object.fromEntries(((v.env as string[] | undefined) ?? []).map(parseEnvAssignment));
    const result = await startApp(ctx, {
      script: program,
      args: programArgs,
      isCommand: args.dashDash,
      name: v.name as string | undefined,
      cwd: v.cwd as string | undefined,
      env,
      envFiles: v['env-file'] as string[] | undefined,
      interpreter: (v.interpreter as string | undefined) ?? null,
      waitMs: v.wait === undefined ? undefined : parseDuration(v.wait as string, '--wait'),
    });
    printStarted(result, io, v.json === true, 'started');
    return 0;
  },
};
