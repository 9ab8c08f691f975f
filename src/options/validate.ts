/**
 * The one check of a start's options (start-options.ts), for every front end: the command
 * line, config files and the library's `start()`. A front end says how to read a value
 * (a word of the command line, a key of a config entry) and how to word a message; the
 * rules (kinds, what needs a supervised program, what needs another option) are the same.
 */
import type { StartOptions } from '../core/lifecycle/start.js';
import { UsageError } from '../errors.js';
import { Problem, type ValueContext } from './kinds.js';
import { START_OPTIONS, type StartOption, optionByKey } from './start-options.js';

/** A value as a front end found it: the spelling used (a flag, a config or pm2 key) and the raw value. */
export interface Given {
  spelled: string;
  value: unknown;
  /** pm2's spelling, parsed with pm2's kind where it differs. */
  pm2?: boolean;
}

export interface Front {
  /** The value of an option as given, or undefined when it was not. */
  given(option: StartOption): Given | undefined;
  /** Parses a given value (a front end knows whether it holds words or config values). */
  parse(option: StartOption, given: Given): unknown;
  /** How an option is named in a message: `--max-log-size`, `maxLogSize`. */
  name(option: StartOption): string;
  /** How to give an option: `--instances <N>`, `instances`. */
  usage(option: StartOption): string;
  /** An option set to a value, as the user would write it: `--restart always`, `restart: "always"`. */
  setting(option: StartOption, value: string): string;
  /** The error for a given option: `message` follows its name. */
  fail(option: StartOption, given: Given, message: string): Error;
}

const restartOption = optionByKey('restart')!;

/**
 * The options a front end was given, parsed and checked, in the table's order: each
 * option is first checked against the ones before it (supervision, `needs`), then parsed.
 */
export function validateStart(front: Front, keys?: readonly string[]): Partial<StartOptions> {
  const out: Partial<StartOptions> = {};
  const target = out as Record<string, unknown>;
  const isGiven = (key: string) => front.given(optionByKey(key)!) !== undefined;
  // --watch, --health, --on-exit…: the supervisor does them, so they make the program supervised (on-failure).
  const asked = (o: StartOption) => (keys === undefined || keys.includes(o.key)) && ![undefined, false].includes(front.given(o)?.value as undefined);
  const implied = START_OPTIONS.find((o) => o.supervision === 'implied' && asked(o));
  // With an explicit --restart no, stop settings alone keep the program plain: `stop` honours them.
  const needsSupervisor = START_OPTIONS.find((o) => o.supervision === 'implied' && !o.plainToo && asked(o));
  // A watch or a schedule starts the program itself: with --restart no it is supervised all the same, its exits not restarted.
  const startsAgain = START_OPTIONS.some((o) => o.startsAgain && asked(o));
  // A memory limit restarts the program itself (pm2 does so with autorestart: false too): with an
  // explicit --restart no it is supervised for that alone, its exits not restarted.
  const ownRestart = START_OPTIONS.some((o) => o.ownRestart && asked(o));
  for (const option of START_OPTIONS) {
    if (keys !== undefined && !keys.includes(option.key)) continue;
    const given = front.given(option);
    if (given === undefined) continue;
    // Supervised with --restart no all the same: for a watch, a schedule or a memory limit.
    const supervisedAnyway = out.restart === 'no' && (startsAgain || ownRestart);
    const restartsItself = option.ownRestart && (startsAgain || out.restart === 'no');
    if (option.supervision === 'needs-restart' && !restartsItself && (out.restart ?? (implied ? 'on-failure' : 'no')) === 'no') {
      const instead = `${front.setting(restartOption, 'on-failure')} or ${front.setting(restartOption, 'always')}`;
      // Supervised, but never restarted after an exit: nothing for it to act on.
      throw front.fail(option, given, supervisedAnyway ? `needs restarts after an exit: replace ${front.setting(restartOption, 'no')} with ${instead}` : `needs a supervised program: add ${instead}`);
    }
    if (option.needs?.missing(out, isGiven)) {
      const other = optionByKey(option.needs.key)!;
      throw front.fail(option, given, option.needs.message({ name: front.name(other), usage: front.usage(other) }));
    }
    if (option === needsSupervisor && out.restart === 'no' && !supervisedAnyway) {
      throw front.fail(option, given, `needs supervision: drop ${front.setting(restartOption, 'no')} (it implies ${front.setting(restartOption, 'on-failure')})`);
    }
    const value = front.parse(option, given);
    if (option.field !== undefined && value !== undefined) target[option.field] = value;
  }
  return out;
}

/** Values as parseArgs (cli-args.ts) leaves them: a word, repeated words, or true. */
export type CliValues = Record<string, string | boolean | string[] | undefined>;

/** The command line: `--max-restarts 5`. Errors are usage errors naming the flag. */
export function startOptionsFromCli(values: CliValues, keys?: readonly string[]): Partial<StartOptions> {
  return validateStart({
    given(option) {
      if (option.flag === null || values[option.flag] === undefined) return undefined;
      return { spelled: `--${option.flag}`, value: values[option.flag] };
    },
    parse(option, given) {
      const words = Array.isArray(given.value) ? given.value : given.value === true ? [] : [String(given.value)];
      return option.kind.fromText(words, given.spelled);
    },
    name: (option) => `--${option.flag ?? option.key}`,
    usage: (option) => `--${option.flag ?? option.key}${option.kind.boolean ? '' : ` ${option.kind.placeholder}`}`,
    setting: (option, value) => `--${option.flag} ${value}`,
    fail: (_option, given, message) => new UsageError(`${given.spelled} ${message}`),
  }, keys);
}

/**
 * A config entry or the argument of `start()`: `maxRestarts: 5` or pm2's `max_restarts: 5`.
 * `fail` words the message with the entry's place (file and key path).
 */
export function startOptionsFromObject(
  obj: Record<string, unknown>,
  context: ValueContext,
  fail: (key: string, message: string) => Error,
): Partial<StartOptions> {
  return validateStart({
    given(option) {
      // bgrun's key first, then pm2's spellings; two of them at once is a mistake.
      const spellings = [option.key, ...(option.pm2 ? [option.pm2.key, ...(option.pm2.aliases ?? [])] : [])].filter(
        (key, i, all) => all.indexOf(key) === i && obj[key] !== undefined,
      );
      const [first, second] = spellings;
      if (second !== undefined) throw fail(second, `give either ${first} or ${second}, not both`);
      if (first === undefined) {
        const { required } = option;
        if (required && (required.unless === undefined || obj[required.unless] === undefined)) throw fail(option.key, required.message);
        return undefined;
      }
      if (option.conflicts !== undefined && obj[option.conflicts] !== undefined) {
        throw fail(first, `give either ${option.conflicts} or ${first}, not both`);
      }
      return { spelled: first, value: obj[first], pm2: first !== option.key };
    },
    parse(option, given) {
      const kind = (given.pm2 && option.pm2?.kind) || option.kind;
      try {
        return kind.fromValue(given.value, context);
      } catch (error) {
        if (error instanceof Problem) throw fail(`${given.spelled}${error.subKey}`, error.message);
        throw error;
      }
    },
    name: (option) => option.key,
    usage: (option) => option.key,
    setting: (option, value) => `${option.key}: "${value}"`,
    fail: (_option, given, message) => fail(given.spelled, message),
  });
}
