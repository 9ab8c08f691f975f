/**
 * Every command of bgrun, as data: its name, aliases, one-line summary and a lazy loader
 * of its module (commands/<name>.ts: usage, options, run). Help (`bgrun --help` and
 * `bgrun <command> --help`), shell completion, the dispatcher (cli.ts) and the README
 * check (test/unit/commands/table.test.ts) all read this list; importing it runs and loads
 * nothing else, so `bgrun list` never pays for what `start` needs.
 *
 * HOW TO ADD A COMMAND
 *  1. Write src/commands/<name>.ts exporting a Command (command.ts): usage, options, run().
 *     It calls the library layers (core/, config/, supervisor/, ...) and prints through io.
 *  2. Add one entry below, where it should appear in `bgrun --help`; `rare: true` unless it
 *     is an everyday command (it then costs the everyday ones nothing).
 *  3. Add its row to the README's command table (the test says what to paste) and its
 *     own README section; tests under test/e2e/<name>.test.ts.
 */
import type { Command } from './command.js';

export interface CommandEntry {
  name: string;
  aliases: readonly string[];
  /** One line: `bgrun --help`, the first line of `bgrun <name> --help`, completion. */
  summary: string;
  /** Not listed by help nor completed (helpers of the completion scripts). */
  hidden?: boolean;
  /**
   * Rarely run: its code lives in a CLI bundle of its own (dist/bundle/cli-rare.cjs, see
   * scripts/bundle-cli.mjs), so that `start`, `list` and the other everyday commands do not
   * read and compile it. The bundle loaded first hands such a command the whole command line.
   */
  rare?: true;
  load(): Promise<Command>;
}

export const COMMAND_TABLE: readonly CommandEntry[] = [
  { name: 'start', aliases: [], summary: 'start a program detached, with logs and a pidfile', load: async () => (await import('./start.js')).start },
  { name: 'list', aliases: ['ls', 'ps'], summary: 'show managed programs: pid, status, uptime, restarts, cpu, memory', load: async () => (await import('./list.js')).list },
  { name: 'logs', aliases: [], summary: "print programs' last log lines, or follow them", load: async () => (await import('./logs.js')).logs },
  { name: 'stop', aliases: [], summary: 'stop programs and their whole process tree', load: async () => (await import('./stop.js')).stop },
  { name: 'restart', aliases: [], summary: 'stop, then start again from the same record', load: async () => (await import('./restart.js')).restart },
  {
    name: 'reload',
    aliases: [], rare: true,
    summary: 'replace copies one at a time, each once the one before is ready (no downtime)',
    load: async () => (await import('./reload.js')).reload,
  },
  { name: 'scale', aliases: [], rare: true, summary: 'start or stop copies of an app to reach N (the highest indexes first)', load: async () => (await import('./scale.js')).scale },
  {
    name: 'apply',
    aliases: ['startOrReload', 'startOrRestart'], rare: true,
    summary: 'make what runs match a config file (start, reload, scale, remove; --dry-run)',
    load: async () => (await import('./apply.js')).apply,
  },
  { name: 'show', aliases: ['status', 'describe'], summary: 'everything bgrun knows about one program', load: async () => (await import('./show.js')).show },
  { name: 'rm', aliases: ['delete'], summary: 'stop programs if they run and forget them (their logs are kept)', load: async () => (await import('./rm.js')).rm },
  { name: 'flush', aliases: [], summary: "empty programs' logs, rotated copies included", load: async () => (await import('./flush.js')).flush },
  {
    name: 'supervisor',
    aliases: ['doctor'],
    summary: 'the supervisor of --restart programs: pid, version, memory, what it supervises',
    load: async () => (await import('./supervisor.js')).supervisor,
  },
  { name: 'export', aliases: [], rare: true, summary: 'write a native systemd unit, or Kubernetes manifests, per program (export systemd|kubernetes <name|all>)', load: async () => (await import('./export.js')).exportCommand },
  { name: 'save', aliases: [], rare: true, summary: "remember which programs run now, for 'bgrun resurrect'", load: async () => (await import('./save.js')).save },
  { name: 'resurrect', aliases: [], rare: true, summary: 'start the saved programs that are not running', load: async () => (await import('./resurrect.js')).resurrect },
  { name: 'reset', aliases: [], summary: 'set the restart counters of programs back to 0', load: async () => (await import('./reset.js')).reset },
  { name: 'ping', aliases: [], summary: 'whether the supervisor is up (pm2 ping)', load: async () => (await import('./ping.js')).ping },
  {
    name: 'update',
    aliases: [],
    summary: 'replace the supervisor by one of this bgrun; it adopts the running programs (pm2 update)',
    load: async () => (await import('./update.js')).update,
  },
  {
    name: 'import',
    aliases: [], rare: true,
    summary: "bring pm2's saved apps over (import pm2), or write them as a bgrun.config.json",
    load: async () => (await import('./import.js')).importCommand,
  },
  {
    name: 'startup',
    aliases: [], rare: true,
    summary: "run 'bgrun resurrect' at boot (systemd unit, or a crontab line); undo: unstartup",
    load: async () => (await import('./startup.js')).startup,
  },
  {
    name: 'unstartup',
    aliases: [], rare: true,
    summary: "stop running 'bgrun resurrect' at boot: remove what 'bgrun startup' installed",
    load: async () => (await import('./startup.js')).unstartup,
  },
  { name: 'run', aliases: [], rare: true, summary: 'run apps in the foreground (containers, development), output prefixed by app', load: async () => (await import('./run.js')).run },
  { name: 'monit', aliases: ['top'], rare: true, summary: 'a live full-screen view of every program', load: async () => (await import('./monit.js')).monit },
  { name: 'completion', aliases: [], rare: true, summary: 'print a bash, zsh or fish completion script', load: async () => (await import('./completion.js')).completion },
  {
    name: '__names',
    aliases: [], rare: true,
    summary: 'names of managed programs, one per line (for shell completion)',
    hidden: true,
    load: async () => (await import('./completion.js')).names,
  },
];

/** pm2's verbs that are a bgrun command with options: `pm2 jlist` is `bgrun list --json`. */
export const PM2_VERBS: Readonly<Record<string, readonly string[]>> = { jlist: ['list', '--json'], prettylist: ['list', '--json'] };

/** The entry of a command name or alias. */
export function findCommand(name: string): CommandEntry | undefined {
  return COMMAND_TABLE.find((c) => c.name === name || c.aliases.includes(name));
}

/** How help lists a command: its summary, with its aliases. */
export function listedSummary(entry: CommandEntry): string {
  if (entry.aliases.length === 0) return entry.summary;
  return `${entry.summary} (${entry.aliases.length === 1 ? 'alias' : 'aliases'}: ${entry.aliases.join(', ')})`;
}
