import { formatOptions, parseArgs } from './cli-args.js';
import type { Command, Io } from './commands/command.js';
import { type Context, createContext } from './core/context.js';
import { BgrunError, EXIT_FAILURE, EXIT_USAGE, ExitedAtStartError, NotReadyError, UsageError } from './errors.js';
import { isTerminal, writeErr, writeOut } from './stdio.js';
import { bgrunVersion } from './version.js';

/** Commands load on demand: `bgrun list` never pays for what `start` needs. */
export const COMMANDS: Record<string, () => Promise<Command>> = {
  start: async () => (await import('./commands/start.js')).start,
  list: async () => (await import('./commands/list.js')).list,
  stop: async () => (await import('./commands/stop.js')).stop,
  restart: async () => (await import('./commands/restart.js')).restart,
  logs: async () => (await import('./commands/logs.js')).logs,
  show: async () => (await import('./commands/show.js')).show,
  rm: async () => (await import('./commands/rm.js')).rm,
  flush: async () => (await import('./commands/flush.js')).flush,
  supervisor: async () => (await import('./commands/supervisor.js')).supervisor,
  export: async () => (await import('./commands/export.js')).exportCommand,
  save: async () => (await import('./commands/save.js')).save,
  resurrect: async () => (await import('./commands/resurrect.js')).resurrect,
  startup: async () => (await import('./commands/startup.js')).startup,
  unstartup: async () => (await import('./commands/startup.js')).unstartup,
  reset: async () => (await import('./commands/reset.js')).reset,
  ping: async () => (await import('./commands/ping.js')).ping,
  update: async () => (await import('./commands/update.js')).update,
  apply: async () => (await import('./commands/apply.js')).apply,
  reload: async () => (await import('./commands/reload.js')).reload,
  scale: async () => (await import('./commands/scale.js')).scale,
  import: async () => (await import('./commands/import.js')).importCommand,
  completion: async () => (await import('./commands/completion.js')).completion,
  run: async () => (await import('./commands/run.js')).run,
  monit: async () => (await import('./commands/monit.js')).monit,
  __names: async () => (await import('./commands/completion.js')).names,
};

/** pm2's verbs that are a bgrun command with options: `pm2 jlist` is `bgrun list --json`. */
export const PM2_VERBS: Record<string, string[]> = { jlist: ['list', '--json'], prettylist: ['list', '--json'] };

export const ALIASES: Record<string, string> = { describe: 'show', top: 'monit', ls: 'list', ps: 'list', status: 'show', delete: 'rm', doctor: 'supervisor', startOrReload: 'apply', startOrRestart: 'apply' };

const SUMMARIES: [string, string][] = [
  ['start', 'start a program detached, with logs and a pidfile'],
  ['list', 'show managed programs (aliases: ls, ps)'],
  ['logs', "print or follow a program's logs"],
  ['stop', 'stop programs and their whole process tree'],
  ['restart', 'stop, then start again from the same record'],
  ['apply', 'make what runs match a config file (start, reload, scale, remove; --dry-run)'],
  ['reload', 'replace copies one at a time, each once the one before is ready (no downtime)'],
  ['scale', 'start or stop copies of an app to reach N (the highest indexes first)'],
  ['show', 'everything known about one program (alias: status)'],
  ['rm', 'stop and forget programs (alias: delete)'],
  ['flush', "empty programs' logs, rotated copies included"],
  ['supervisor', 'the supervisor of --restart programs: pid, version, memory (alias: doctor)'],
  ['export', 'write a native systemd unit per program (export systemd <name|all>)'],
  ['save', "remember which programs run now, for 'bgrun resurrect'"],
  ['resurrect', 'start the saved programs that are not running'],
  ['reset', 'set the restart counters of programs back to 0'],
  ['ping', 'whether the supervisor is up (pm2 ping)'],
  ['update', 'replace the supervisor by one of this bgrun; it adopts the running programs (pm2 update)'],
  ['import', "bring pm2's saved apps over (import pm2), or write them as a bgrun.config.json"],
  ['startup', "run 'bgrun resurrect' at boot (systemd unit, or a crontab line); undo: unstartup"],
  ['run', 'run apps in the foreground (containers, development), output prefixed by app'],
  ['monit', 'a live full-screen view of every program (alias: top)'],
  ['completion', 'print a bash, zsh or fish completion script'],
];

function usage(): string {
  const width = Math.max(...SUMMARIES.map(([n]) => n.length));
  return [
    'bgrun: run programs in the background, safely',
    '',
    'Usage: bgrun <command> [options]',
    '',
    'Commands:',
    ...SUMMARIES.map(([n, s]) => `  ${n.padEnd(width)}  ${s}`),
    '',
    'Examples:',
    '  bgrun start server.js --port 3000     (options after the script go to it)',
    '  bgrun start --name web -- python3 -m http.server 8080',
    '  bgrun start                           (the apps of bgrun.config.json, ecosystem.config.js or a Procfile here)',
    '  bgrun list',
    '  bgrun logs web -f',
    '  bgrun stop web',
    '',
    "Run 'bgrun <command> --help' for a command's options. State folder: $BGRUN_HOME, else $XDG_STATE_HOME/bgrun, else ~/.local/state/bgrun.",
    'Exit status: 0 success, 1 failure, 2 usage error.',
  ].join('\n');
}

function commandHelp(command: Command): string {
  const options = [
    ...command.options,
    { name: 'help', short: 'h', type: 'boolean' as const, description: 'show this help' },
  ];
  return `${command.summary}\n\nUsage: ${command.usage}\n\nOptions:\n${formatOptions(options)}`;
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

function report(error: unknown, io: Io, json: boolean): number {
  if (process.env.BGRUN_DEBUG === '1' && error instanceof Error) io.err(error.stack ?? String(error));
  if (error instanceof BgrunError) {
    if (json) io.out(JSON.stringify({ error: { code: error.code, message: error.message } }));
    io.err(`bgrun: ${error.message}`);
    if ((error instanceof ExitedAtStartError || error instanceof NotReadyError) && error.stderrTail.length > 0) {
      io.err('from its stderr:');
      for (const line of error.stderrTail) io.err(`  ${line}`);
    }
    return error.exitCode;
  }
  const message = error instanceof Error ? error.message : String(error);
  if (json) io.out(JSON.stringify({ error: { code: 'INTERNAL', message } }));
  io.err(`bgrun: unexpected error: ${message}${process.env.BGRUN_DEBUG === '1' ? '' : ' (run with BGRUN_DEBUG=1 for details)'}`);
  return EXIT_FAILURE;
}

export async function main(given: string[], io: Io): Promise<number> {
  const verb = given[0] === undefined ? undefined : PM2_VERBS[given[0]];
  const argv = verb ? [...verb, ...given.slice(1)] : given;
  const [first, ...rest] = argv;
  if (first === undefined || first === '--help' || first === '-h' || first === 'help') {
    if (first === 'help' && rest[0]) return main([rest[0], '--help'], io);
    io.out(usage());
    return 0;
  }
  if (first === '--version' || first === '-V' || first === 'version') {
    io.out(bgrunVersion());
    return 0;
  }
  // A guess until the arguments are parsed: a usage error is reported as JSON if --json appears.
  let json = wantsJson(rest);
  try {
    const load = COMMANDS[ALIASES[first] ?? first];
    if (!load) throw new UsageError(`unknown command '${first}'; run 'bgrun --help' for the list`);
    const command = await load();
    // --help before the program only: after it, it belongs to the program.
    const helpAt = rest.findIndex((a) => a === '--help' || a === '-h');
    if (helpAt >= 0) {
      const parsedUpTo = parseArgs(rest.slice(0, helpAt), command.options, { stopAtPositional: command.stopAtPositional });
      if (!command.stopAtPositional || (parsedUpTo.positionals.length === 0 && !parsedUpTo.dashDash)) {
        io.out(commandHelp(command));
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

let color: boolean | undefined;
const io: Io = {
  out: writeOut,
  err: writeErr,
  // Asked only by commands that print tables or names: the others never look at the terminal.
  get color() {
    color ??= !process.env.NO_COLOR && process.env.TERM !== 'dumb' && isTerminal(1);
    return color;
  },
};

main(process.argv.slice(2), io).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.exitCode = report(error, io, false) || EXIT_USAGE;
  },
);
