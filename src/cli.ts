/**
 * The command line: parses argv, finds the command in the command table, runs it, and is
 * the one place that turns an error into a line on stderr and an exit status. Importing
 * it runs nothing; src/bin.ts (the CLI bundle's entry) calls main().
 */
import { formatOptions, parseArgs } from './cli-args.js';
import type { Command, Io } from './commands/command.js';
import { COMMAND_TABLE, type CommandEntry, PM2_VERBS, findCommand, listedSummary } from './commands/table.js';
import { type Context, createContext } from './context.js';
import { BgrunError, EXIT_FAILURE, ExitedAtStartError, NotReadyError, UsageError } from './errors.js';
import { printable } from './commands/format.js';
import { bgrunVersion } from './version.js';
import { suggest } from './suggest.js';

function usage(): string {
  const listed = COMMAND_TABLE.filter((c) => !c.hidden);
  const width = Math.max(...listed.map((c) => c.name.length));
  return [
    'bgrun: run programs in the background, safely',
    '',
    'Usage: bgrun <command> [options]',
    '',
    'Commands:',
    ...listed.map((c) => `  ${c.name.padEnd(width)}  ${listedSummary(c)}`),
    '',
    'Examples:',
    '  bgrun start server.js --port 3000     (options after the script go to it)',
    '  bgrun start --name web -- python3 -m http.server 8080',
    '  bgrun start                           (the apps of the config file or Procfile here)',
    '  bgrun list',
    '  bgrun logs web -f',
    '  bgrun stop web',
    '',
    "Run 'bgrun <command> --help' for a command's options. State folder: $BGRUN_HOME, else $XDG_STATE_HOME/bgrun, else ~/.local/state/bgrun.",
    'Exit status: 0 success, 1 failure, 2 usage error.',
  ].join('\n');
}

function commandHelp(entry: CommandEntry, command: Command): string {
  const options = [
    ...command.options,
    { name: 'help', short: 'h', type: 'boolean' as const, description: 'show this help' },
  ];
  return `${entry.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${formatOptions(options)}`;
}

/**
 * Any command brings back a supervisor for supervised programs that lost theirs
 * (killed, or bgrun upgraded). It never makes the command itself fail.
 */
async function reviveSupervisor(ctx: Context, io: Io): Promise<void> {
  try {
    const { ensureSupervisorIfNeeded } = await import('./supervisor/ensure.js');
    await ensureSupervisorIfNeeded(ctx);
  } catch (error) {
    io.err(`bgrun: warning: could not start the supervisor: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Commands that touch records also rotate logs past their --max-log-size: plain programs have no resident process to do it. */
const ROTATING_COMMANDS = new Set(['start', 'list', 'logs', 'show', 'stop', 'restart']);

/** One stat per log with a limit when none is over it; never makes the command fail. */
async function rotateLogs(ctx: Context, io: Io): Promise<void> {
  try {
    // A supervisor of this version keeps every limited log of a running program as it grows (supervisor/log-keeper.ts).
    const { liveSupervisor } = await import('./supervisor/supervisor-file.js');
    if (liveSupervisor(ctx.paths)?.version === bgrunVersion()) return;
    const { rotateOverLimit } = await import('./core/logs/limits.js');
    for (const message of (await rotateOverLimit(ctx)).errors) io.err(`bgrun: warning: ${message}`);
  } catch (error) {
    io.err(`bgrun: warning: could not rotate logs: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function wantsJson(argv: string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).includes('--json');
}

export function report(error: unknown, io: Io, json: boolean): number {
  if (process.env.BGRUN_DEBUG === '1' && error instanceof Error) io.err(error.stack ?? String(error));
  if (error instanceof BgrunError) {
    if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message } }));
    // A message may quote a config's value: its control characters are shown, never sent to the terminal.
    io.err(`bgrun: ${printable(error.message)}`);
    if ((error instanceof ExitedAtStartError || error instanceof NotReadyError) && error.stderrTail.length > 0) {
      io.err('from its stderr:');
      for (const line of error.stderrTail) io.err(`  ${line}`);
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) io.out(JSON.stringify({ error: { code: 'INTERNAL', message } }));
  io.err(`bgrun: unexpected error: ${printable(message)}${process.env.BGRUN_DEBUG === '1' ? '' : ' (run with BGRUN_DEBUG=1 for details)'}`);
  return EXIT_FAILURE;
}

/** How the CLI bundle runs a `rare` command (table.ts): by the bundle that holds it, given the whole command line. */
export type RunRare = (given: string[], io: Io) => Promise<number>;

export async function main(given: string[], io: Io, runRare?: RunRare): Promise<number> {
  const verb = given[0] === undefined ? undefined : PM2_VERBS[given[0]];
  const argv = verb ? [...verb, ...given.slice(1)] : given;
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0]) return main([rest[0], '--help'], io, runRare);
    io.out(usage());
    return 0;
  }
  if (first === '--version' || first === '-V' || first === '-v' || first === 'version') {
    io.out(bgrunVersion());
    return 0;
  }
  // A guess until the arguments are parsed: a usage error is reported as JSON if --json appears.
  let json = wantsJson(rest);
  try {
    const entry = findCommand(first);
    if (!entry) {
      const near = suggest(first, COMMAND_TABLE.filter((c) => !c.hidden).flatMap((c) => [c.name, ...c.aliases]));
      throw new UsageError(`unknown command '${first}'; ${near ? `did you mean '${near}'? Run` : 'run'} 'bgrun --help' for the list`);
    }
    if (entry.rare && runRare) return await runRare(given, io);
    const command = await entry.load();
    // --help before the program only: after it, it belongs to the program.
    const helpAt = rest.findIndex((a) => a === '--help' || a === '-h');
    if (helpAt >= 0) {
      const parsedUpTo = parseArgs(rest.slice(0, helpAt), command.options, { stopAtPositional: command.stopAtPositional });
      if (!command.stopAtPositional || (parsedUpTo.positionals.length === 0 && !parsedUpTo.dashDash)) {
        io.out(commandHelp(entry, command));
        return 0;
      }
    }
    const parsed = parseArgs(rest, command.options, { stopAtPositional: command.stopAtPositional });
    // A --json after the program of `start` is the program's, not ours.
    json = parsed.values.json === true;
    const ctx = createContext();
    if (!command.noSupervisor) await reviveSupervisor(ctx, io);
    if (ROTATING_COMMANDS.has(command.name)) await rotateLogs(ctx, io);
    return await command.run(parsed, ctx, io);
  } catch (error) {
    return report(error, io, json);
  }
}
