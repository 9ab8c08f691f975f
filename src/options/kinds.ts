/**
 * The kinds of value a start option takes, each parsed two ways: from a word of the
 * command line (`fromText`, whose errors name the flag, as the core's parsers word
 * them) and from a value of a config file or of the library's `start()` (`fromValue`,
 * which throws a Problem saying what was expected). One definition per list:
 * restart policies, duration and size units live here and in the core parsers only.
 */
import path from 'node:path';
import { MAX_DURATION_MS, parseDuration } from '../core/duration.js';
import { parseMaxLogFiles, parseMaxLogSize } from '../core/logs/limits.js';
import { parseEnvAssignment, unusableValue } from '../core/processes/env-file.js';
import { parseProbe, tryParseProbe } from '../core/ready/parse.js';
import { isValidName, validateName } from '../core/records/names.js';
import { parseInstances } from '../core/fleet/instance-env.js';
import { isModuleName } from '../core/processes/python.js';
import type { RestartPolicy } from '../core/records/record.js';
import { parseSize } from '../core/size.js';
import { BgrunError, UsageError } from '../errors.js';
import { splitArgs } from './split-args.js';

/** The restart policies, in the order help and completion list them. */
export const RESTART_POLICIES: readonly RestartPolicy[] = ['no', 'on-failure', 'always'];

/** What a config value is checked against: relative paths start at `baseDir` (the config file's folder). */
export interface ValueContext {
  baseDir: string;
}

/**
 * A bad config value. `message` follows the key ("expected a whole number, got -1");
 * `subKey` names a part of the value (".PORT", "[2]") when the problem is there.
 */
export class Problem extends Error {
  constructor(
    message: string,
    readonly subKey = '',
  ) {
    super(message);
  }
}

/** How a value is shown in "expected ..., got X". */
export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

export function expected(what: string, value: unknown, subKey = ''): Problem {
  return new Problem(`expected ${what}, got ${describe(value)}`, subKey);
}

export interface ValueKind<T> {
  /** The placeholder in help (`<duration>`). */
  placeholder: string;
  /** Repeatable on the command line (`--env A=1 --env B=2`): fromText gets every word. */
  repeatable?: boolean;
  /** A flag on the command line: it takes no value (fromText gets []). */
  boolean?: boolean;
  /** `--flag` alone or `--flag=value` (never the next word): `--watch`, `--watch=src`; alone, fromText gets ''. */
  optionalValue?: boolean;
  /** Its value is the program (`-m pkg.mod`): what follows on the command line is the program's. */
  endsOptions?: boolean;
  /** The words a value is one of, for completion. */
  words?: readonly string[];
  /** What the shell completes the value with. */
  complete?: 'files' | 'dirs';
  /** From the command line; throws a UsageError naming `flag`. */
  fromText(text: string[], flag: string): T;
  /** From a config file or `start()`; throws a Problem. */
  fromValue(value: unknown, context: ValueContext): T;
}

const last = (words: string[]): string => words[words.length - 1]!;

export function requireString(value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throw expected('a non-empty string', value);
  return value;
}

/** A string the core checks when it uses it (a command, a folder). */
export const text = (placeholder: string, complete?: 'files' | 'dirs'): ValueKind<string> => ({
  placeholder,
  complete,
  fromText: last,
  fromValue: requireString,
});

/** A folder: relative to the current folder on the command line, to the config file's folder in a config. */
export const folder: ValueKind<string> = {
  placeholder: '<dir>',
  complete: 'dirs',
  fromText: last,
  fromValue: (value, context) => path.resolve(context.baseDir, requireString(value)),
};

/** A program name (the core checks a name given on the command line). */
export const name: ValueKind<string> = {
  placeholder: '<name>',
  fromText: last,
  fromValue(value) {
    const given = requireString(value);
    try {
      return validateName(given);
    } catch (error) {
      throw new Problem(error instanceof BgrunError ? error.message : String(error));
    }
  },
};

/** A list of names (a config's dependsOn): one name or a list of them. */
export const names: ValueKind<string[]> = {
  placeholder: '<name>',
  repeatable: true,
  fromText: (words) => words,
  fromValue(value, context) {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list)) throw expected('a list of app names', value);
    return list.map((item, i) => {
      try {
        return name.fromValue(item, context);
      } catch (error) {
        throw error instanceof Problem ? new Problem(error.message, `[${i}]`) : error;
      }
    });
  },
};

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** Variables: KEY=VALUE words on the command line, an object in a config. */
export const env: ValueKind<Record<string, string>> = {
  placeholder: 'KEY=VALUE|<profile>',
  repeatable: true,
  fromText: (words) => Object.fromEntries(words.map(parseEnvAssignment)),
  fromValue(value) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      // The kind of value only, never a string's text: it may hold a secret.
      throw new Problem(`expected an object of variables such as { "PORT": "3000" }, got ${typeof value === 'string' ? 'a string' : describe(value)}`);
    }
    const out: Record<string, string> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (!ENV_KEY.test(key)) throw new Problem("expected a variable name of letters, digits and '_'", `.${key}`);
      if (typeof v === 'string') {
        const unusable = unusableValue(key, v);
        if (unusable) throw new Problem(unusable, `.${key}`);
        out[key] = v;
      } else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') out[key] = String(v);
      else throw expected('a string, number or boolean', v, `.${key}`);
    }
    return out;
  },
};

/** Files, repeatable; in a config one file or a list, relative to the config file's folder. */
export const files: ValueKind<string[]> = {
  placeholder: '<file>',
  repeatable: true,
  complete: 'files',
  fromText: (words) => words,
  fromValue(value, context) {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list)) throw expected('a file name or a list of file names', value);
    return list.map((item, i) => {
      if (typeof item !== 'string' || item === '') throw expected('a file name', item, `[${i}]`);
      return path.resolve(context.baseDir, item);
    });
  },
};

/**
 * Files of a start (env files), repeatable: like `files`, but a relative path is kept
 * as written, to be resolved against the program's working folder, as its script is
 * (one rule for every path of a start): by the start for the command line, by the
 * config mapping (config/validate-config.ts) against the app's cwd.
 */
export const startFiles: ValueKind<string[]> = {
  ...files,
  fromValue(value) {
    const list = typeof value === 'string' ? [value] : value;
    if (!Array.isArray(list)) throw expected('a file name or a list of file names', value);
    return list.map((item, i) => {
      if (typeof item !== 'string' || item === '') throw expected('a file name', item, `[${i}]`);
      return item;
    });
  },
};

/** Arguments: one string split as pm2 does (quotes group words), or in a config a list. */
export const args: ValueKind<string[]> = {
  placeholder: '<args>',
  fromText: (words) => splitArgs(last(words)),
  fromValue(value) {
    if (typeof value === 'string') return splitArgs(value);
    if (Array.isArray(value)) {
      return value.map((item, i) => {
        if (typeof item === 'string') return item;
        if (typeof item === 'number' && Number.isFinite(item)) return String(item);
        throw expected('a string', item, `[${i}]`);
      });
    }
    throw expected('an array of strings or one string', value);
  },
};

/**
 * An interpreter command. pm2's "none" is kept as it is: run the script itself, by its
 * shebang (core/processes/resolve-command.ts). null in a config: bgrun's choice by extension.
 */
export const interpreter: ValueKind<string | null> = {
  placeholder: '<cmd>',
  fromText: last,
  fromValue(value) {
    if (value === null) return null;
    return requireString(value);
  },
};

/** Milliseconds, or a number with ms, s, m or h. */
export const duration: ValueKind<number> = {
  placeholder: '<duration>',
  fromText: (words, flag) => parseDuration(last(words), flag),
  fromValue(value) {
    if (typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= MAX_DURATION_MS) return Math.round(value);
    if (typeof value === 'string') {
      try {
        return parseDuration(value);
      } catch {
        // reported below
      }
    }
    throw expected('a duration such as 500, "500ms", "10s" or "2m"', value);
  },
};

/** Bytes, or a number with K, M or G. */
export const size: ValueKind<number> = {
  placeholder: '<size>',
  fromText: (words, flag) => parseSize(last(words), flag),
  fromValue(value) {
    if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value);
    if (typeof value === 'string') {
      try {
        return parseSize(value);
      } catch {
        // reported below
      }
    }
    throw expected('a size such as "300M", "1G" or a number of bytes', value);
  },
};

/** A whole number (0 or more). */
export const count: ValueKind<number> = {
  placeholder: '<N>',
  fromText(words, flag) {
    const given = last(words);
    if (!/^\d+$/.test(given)) throw new UsageError(`invalid ${flag} '${given}': use a whole number`);
    return Number(given);
  },
  fromValue(value) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
    throw expected('a whole number', value);
  },
};

/** One of RESTART_POLICIES. */
export const policy: ValueKind<RestartPolicy> = {
  placeholder: '<policy>',
  words: RESTART_POLICIES,
  fromText(words, flag) {
    const given = last(words);
    const found = RESTART_POLICIES.find((p) => p === given);
    if (!found) throw new UsageError(`invalid ${flag} '${given}': use ${RESTART_POLICIES.slice(0, -1).join(', ')} or ${last([...RESTART_POLICIES])}`);
    return found;
  },
  fromValue(value) {
    const found = RESTART_POLICIES.find((p) => p === value);
    if (!found) throw expected(`${RESTART_POLICIES.slice(0, -1).map((p) => `"${p}"`).join(', ')} or "${last([...RESTART_POLICIES])}"`, value);
    return found;
  },
};

/** pm2's autorestart: true is "always", false "no". */
export const autorestart: ValueKind<RestartPolicy> = {
  placeholder: '<bool>',
  fromText: (words, flag) => policy.fromText(words, flag),
  fromValue(value) {
    if (typeof value !== 'boolean') throw expected('true or false', value);
    return value ? 'always' : 'no';
  },
};

/** A readiness probe (core/ready/parse.ts), kept as its trimmed text. */
export const probe: ValueKind<string> = {
  placeholder: '<probe>',
  fromText(words) {
    const given = last(words);
    parseProbe(given);
    return given.trim();
  },
  fromValue(value) {
    const given = requireString(value);
    const parsed = tryParseProbe(given);
    if (typeof parsed === 'string') throw new Problem(parsed);
    return given.trim();
  },
};

/** A check shared with the command line; its message loses the option name. */
function cliRule<T>(check: () => T): T {
  try {
    return check();
  } catch (error) {
    throw new Problem(error instanceof BgrunError ? error.message.replace(/^invalid --[a-z-]+ ('[^']*'): /, 'invalid value $1: ') : String(error));
  }
}

/** A log size limit: at least 1K, or 0 for none (null). */
export const logSize: ValueKind<number | null> = {
  placeholder: '<size>',
  fromText: (words) => parseMaxLogSize(last(words)),
  fromValue(value) {
    // Same rules as --max-log-size: a size of at least 1K, or 0 for no rotation.
    const given = typeof value === 'number' ? String(value) : value;
    if (typeof given !== 'string') throw expected('a size such as "10M", or 0 for no rotation', value);
    return cliRule(() => parseMaxLogSize(given));
  },
};

/** A number of rotated log copies. */
export const logFiles: ValueKind<number> = {
  placeholder: '<N>',
  fromText: (words) => parseMaxLogFiles(last(words)),
  fromValue(value) {
    if (typeof value !== 'number') throw expected('a whole number', value);
    return cliRule(() => parseMaxLogFiles(String(value)));
  },
};

/** A yes/no setting: a flag on the command line, true or false in a config; false is the default, so it is not set. */
export const flag: ValueKind<true | undefined> = {
  placeholder: '',
  boolean: true,
  fromText: () => true,
  fromValue(value) {
    if (typeof value !== 'boolean') throw expected('true or false', value);
    return value ? true : undefined;
  },
};

/** A Python module (`-m pkg.mod`): its value ends the options, what follows is its arguments. */
export const pythonModule: ValueKind<string> = {
  placeholder: '<module>',
  endsOptions: true,
  fromText: last,
  fromValue(value) {
    const given = requireString(value);
    if (!isModuleName(given)) throw expected('a dotted Python module name such as "package.module"', given);
    return given;
  },
};

/** Copies of an app: N, max or 0 (one per CPU), -1 (one less); one copy is a plain app (not set). */
export const instances: ValueKind<number | undefined> = {
  placeholder: '<N>',
  fromText(words, flag) {
    const count = parseInstances(last(words), flag);
    // A single copy is a single program, named after the app (as pm2 names it).
    return count > 1 ? count : undefined;
  },
  fromValue(value) {
    if ((typeof value !== 'number' || !Number.isInteger(value)) && (typeof value !== 'string' || !/^(max|-?\d+)$/.test(value.trim()))) {
      throw expected('a whole number, "max" or 0 (one per CPU), or -1 (one less than the CPUs)', value);
    }
    let count: number;
    try {
      count = parseInstances(value as string | number);
    } catch (error) {
      throw new Problem(error instanceof BgrunError ? error.message.replace(/^invalid --instances [^:]*: /, '') : String(error));
    }
    return count > 1 ? count : undefined;
  },
};

/** The name of an environment variable (the core checks one given on the command line). */
export const variable: ValueKind<string> = {
  placeholder: '<VAR>',
  fromText: last,
  fromValue(value) {
    if (typeof value !== 'string' || !ENV_KEY.test(value)) throw expected("a variable name of letters, digits and '_'", value);
    return value;
  },
};

/** A namespace: a name as program names are. */
export const namespace: ValueKind<string> = {
  placeholder: '<ns>',
  fromText(words) {
    const given = last(words);
    try {
      return validateName(given);
    } catch {
      throw new UsageError(`invalid --namespace '${given}': use 1 to 64 letters, digits, '.', '_' or '-'`);
    }
  },
  fromValue(value) {
    if (typeof value !== 'string' || !isValidName(value)) throw expected("a name of 1 to 64 letters, digits, '.', '_' or '-'", value);
    return value;
  },
};

/**
 * Cluster mode: `--cluster` on the command line, `execMode: "cluster"` (pm2's
 * `exec_mode`) in a config; "fork" is a plain app with copies (not set).
 */
export const execMode: ValueKind<true | undefined> = {
  placeholder: '',
  boolean: true,
  fromText: () => true,
  fromValue(value) {
    if (value === 'cluster' || value === 'cluster_mode') return true;
    if (value !== 'fork' && value !== 'fork_mode') throw expected('"fork" or "cluster"', value);
    return undefined;
  },
};

/**
 * A log file: kept as written, like `startFiles`, for the start to resolve against the
 * program's working folder (core/logs/log-paths.ts), and the config mapping against the app's cwd.
 */
export const logFile: ValueKind<string> = {
  placeholder: '<file>',
  complete: 'files',
  fromText: last,
  fromValue: requireString,
};

/** pm2's `time: true` and `log_date_format: "<format>"`: either turns times on (bgrun's times are ISO 8601; the format is not used). */
export const pm2LogTime: ValueKind<true | undefined> = {
  placeholder: '',
  boolean: true,
  fromText: () => true,
  fromValue(value) {
    if (typeof value === 'string') return true;
    if (typeof value !== 'boolean') throw expected('true or false (time), or a date format (log_date_format)', value);
    return value ? true : undefined;
  },
};
