import type { OptionSpec } from '../cli-args.js';

/**
 * What the shell completion scripts know about bgrun, built from the commands
 * themselves (their usage line and options), so a new command or option is
 * completed without touching the scripts. Program names are not in here:
 * the scripts ask `bgrun __names` for them at every completion.
 */

export type ValueCompletion = { kind: 'none' } | { kind: 'dirs' } | { kind: 'files' } | { kind: 'words'; words: string[] };

export interface CompletionOption {
  long: string;
  short: string | null;
  description: string;
  takesValue: boolean;
  value: ValueCompletion;
}

export interface CompletionCommand {
  name: string;
  aliases: string[];
  summary: string;
  options: CompletionOption[];
  /** Fixed words the first argument is one of (`export systemd`, `completion bash`), else null. */
  firstWords: string[] | null;
  /** Whether the arguments (after firstWords) are program names, and `all` is one of them. */
  names: 'none' | 'names' | 'names-and-all';
  /** Options end at the program (start): after its first argument, complete files. */
  takesProgram: boolean;
}

export interface CompletionSpec {
  commands: CompletionCommand[];
}

/** The subset of a Command the spec needs; commands/command.ts's Command has these. */
export interface CommandLike {
  name: string;
  usage: string;
  options: OptionSpec[];
  stopAtPositional?: boolean;
}

const SIGNALS = ['TERM', 'INT', 'HUP', 'KILL', 'QUIT', 'USR1', 'USR2'];
/** Placeholders whose values are known words, beyond `<a|b|c>`. */
const KNOWN_VALUES: Record<string, string[]> = { '<SIG>': SIGNALS };

export function valueCompletion(placeholder: string | undefined): ValueCompletion {
  if (!placeholder) return { kind: 'none' };
  if (KNOWN_VALUES[placeholder]) return { kind: 'words', words: KNOWN_VALUES[placeholder]! };
  if (/^<(dir|folder)>$/i.test(placeholder)) return { kind: 'dirs' };
  if (/^<(file|path|script)>$/i.test(placeholder)) return { kind: 'files' };
  const choice = /^<([a-z0-9-]+(?:\|[a-z0-9-]+)+)>$/i.exec(placeholder);
  if (choice) return { kind: 'words', words: choice[1]!.split('|') };
  return { kind: 'none' };
}

/** An option's own words or file kind (option table), else what its placeholder says. */
function completeValue(option: OptionSpec): ValueCompletion {
  if (option.type === 'boolean') return { kind: 'none' };
  if (option.words) return { kind: 'words', words: [...option.words] };
  if (option.complete) return { kind: option.complete };
  return valueCompletion(option.value);
}

const HELP: CompletionOption = { long: 'help', short: 'h', description: 'show help', takesValue: false, value: { kind: 'none' } };

/** Reads the first line of a usage text: `bgrun <name> <first argument>…`. */
/** `entry`: the command's name, aliases and summary in the command table. */
export function completionCommand(command: CommandLike, entry: { aliases: readonly string[]; summary: string }): CompletionCommand {
  const firstLine = command.usage.split('\n')[0] ?? '';
  const words = firstLine.trim().split(/\s+/);
  const first = words[0] === 'bgrun' && words[1] === command.name ? words[2] : undefined;
  const firstWords = first !== undefined && /^[a-z][a-z0-9-]*(\|[a-z][a-z0-9-]*)*$/.test(first) ? first.split('|') : null;
  const names = /<(pid\|)?name\|all>/.test(command.usage) ? 'names-and-all' : /<(pid\|)?name\b/.test(command.usage) ? 'names' : 'none';
  return {
    name: command.name,
    aliases: [...entry.aliases],
    summary: entry.summary,
    options: [
      ...command.options.flatMap((o) => {
        const option: CompletionOption = {
          long: o.name,
          short: o.short ?? null,
          description: o.description,
          // `--watch[=<path>]`: alone it is complete, so the next word is not its value.
          takesValue: o.type !== 'boolean' && o.optionalValue !== true,
          value: o.optionalValue ? { kind: 'none' } : completeValue(o),
        };
        // Another spelling (pm2's --output for --out-log) is completed too, as the same option.
        return [option, ...(o.aliases ?? []).map((alias) => ({ ...option, long: alias, short: null, description: `same as --${o.name}` }))];
      }),
      HELP,
    ],
    firstWords,
    names,
    takesProgram: command.stopAtPositional === true,
  };
}

/** Every name a command answers to. */
export const commandNames = (c: CompletionCommand) => [c.name, ...c.aliases];

/**
 * pm2's verbs that are a bgrun command with options (`jlist` is `list --json`): completed
 * as commands of their own, with the options of the command they stand for, less those
 * they already give.
 */
export function pm2VerbCommands(commands: readonly CompletionCommand[], verbs: Readonly<Record<string, readonly string[]>>): CompletionCommand[] {
  return Object.entries(verbs).flatMap(([verb, [name, ...given]]) => {
    const target = commands.find((c) => c.name === name);
    if (!target) return [];
    return [{ ...target, name: verb, aliases: [], summary: `pm2's ${verb}: bgrun ${[name, ...given].join(' ')}`, options: target.options.filter((o) => !given.includes(`--${o.long}`)) }];
  });
}
