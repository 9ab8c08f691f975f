/**
 * The kinds of value of the supervisor's start options (issue 13: watch, cron restart,
 * stop exit codes, stop settings, health checks, exit hooks), as kinds.ts defines kinds.
 * What needs the program's folder or environment (watch paths exist, a hook's program
 * is executable) is checked by core/supervision.ts when the start is prepared.
 */
import { parseDuration } from '../core/duration.js';
import { checkCron, checkHealthProbe, parseExitCodes, parseStopSignal } from '../core/supervision.js';
import { BgrunError, UsageError } from '../errors.js';
import { Problem, type ValueKind, expected, requireString } from './kinds.js';

const last = (words: string[]): string => words[words.length - 1]!;

/** A core parser's message without its "invalid --flag 'value': " front, for config files. */
function problem(error: unknown): Problem {
  return new Problem(error instanceof BgrunError ? error.message.replace(/^invalid --[a-z-]+( '[^']*')?: /, '') : String(error));
}

function strings(value: unknown, what: string): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) throw expected(what, value);
  return list.map((item, i) => {
    if (typeof item !== 'string' || item.trim() === '') throw expected('a non-empty string', item, `[${i}]`);
    return item;
  });
}

/** `--watch` (the program's folder) or `--watch=<path>`, repeatable; a config's true, a path or paths. */
export const watchPaths: ValueKind<string[] | undefined> = {
  placeholder: '<path>',
  repeatable: true,
  optionalValue: true,
  complete: 'files',
  fromText: (words) => words.filter((w) => w !== ''),
  fromValue(value) {
    if (value === false) return undefined;
    if (value === true) return [];
    return strings(value, 'true, a path or a list of paths');
  },
};

/** Globs left out of a watch. */
export const globs: ValueKind<string[]> = {
  placeholder: '<glob>',
  repeatable: true,
  fromText: (words) => words.map((w) => w.trim()).filter(Boolean),
  fromValue: (value) => strings(value, 'a glob or a list of globs'),
};

/** A duration above 0 (a timeout, an interval, a backoff step). */
export const positiveDuration: ValueKind<number> = {
  placeholder: '<duration>',
  fromText(words, flag) {
    const ms = parseDuration(last(words), flag);
    if (ms <= 0) throw new UsageError(`invalid ${flag} '${last(words)}': use a duration above 0, e.g. 500ms or 10s`);
    return ms;
  },
  fromValue(value) {
    let ms = Number.NaN;
    if (typeof value === 'number' && Number.isFinite(value)) ms = Math.round(value);
    else if (typeof value === 'string') {
      try {
        ms = parseDuration(value);
      } catch {
        // reported below
      }
    }
    if (!(ms > 0)) throw expected('a duration above 0 such as 500, "500ms", "10s" or "2m"', value);
    return ms;
  },
};

/** pm2's watch_options: only followSymlinks has a meaning here. */
export const watchOptions: ValueKind<true | undefined> = {
  placeholder: '',
  boolean: true,
  fromText: () => true,
  fromValue(value) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) throw expected('an object such as { "followSymlinks": true }', value);
    let follow: true | undefined;
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      if (key === 'followSymlinks') {
        if (typeof v !== 'boolean') throw expected('true or false', v, '.followSymlinks');
        follow = v ? true : undefined;
      } else if (key === 'usePolling' || key === 'interval' || key === 'binaryInterval') {
        throw new Problem('bgrun watches with file change notifications, never by polling', `.${key}`);
      } else {
        throw new Problem('not supported: bgrun takes followSymlinks here (use watchIgnore for what to leave out)', `.${key}`);
      }
    }
    return follow;
  },
};

/** A cron expression: 5 fields, or 6 with seconds first, or @daily and the like (croner checks it). */
export const cron: ValueKind<string> = {
  placeholder: '<expr>',
  fromText(words, flag) {
    const problemText = checkCron(last(words));
    if (problemText) throw new UsageError(`invalid ${flag}: ${problemText}`);
    return last(words).trim();
  },
  fromValue(value) {
    const given = requireString(value);
    const problemText = checkCron(given);
    if (problemText) throw new Problem(problemText);
    return given.trim();
  },
};

/** Exit codes: "0,3" on the command line; a code, a list or "0,3" in a config. */
export const exitCodes: ValueKind<number[]> = {
  placeholder: '<codes>',
  fromText: (words, flag) => parseExitCodes(last(words), flag),
  fromValue(value) {
    const list = typeof value === 'number' ? [value] : value;
    if (typeof list !== 'string' && !Array.isArray(list)) throw expected('a list of exit codes such as [0, 3]', value);
    try {
      return parseExitCodes(list as string | unknown[]);
    } catch (error) {
      throw problem(error);
    }
  },
};

/** A signal to stop with (not KILL or STOP). */
export const signal: ValueKind<string> = {
  placeholder: '<SIG>',
  words: ['TERM', 'INT', 'HUP', 'QUIT', 'USR1', 'USR2'],
  fromText: (words, flag) => parseStopSignal(last(words), flag),
  fromValue(value) {
    try {
      return parseStopSignal(requireString(value));
    } catch (error) {
      throw problem(error);
    }
  },
};

/** A health probe: the kinds of --ready but delay:, plus cmd:<command>. */
export const healthProbe: ValueKind<string> = {
  placeholder: '<probe>',
  fromText(words, flag) {
    const problemText = checkHealthProbe(last(words));
    if (problemText) throw new UsageError(`invalid ${flag}: ${problemText}`, 'INVALID_PROBE');
    return last(words).trim();
  },
  fromValue(value) {
    const given = requireString(value);
    const problemText = checkHealthProbe(given);
    if (problemText) throw new Problem(problemText);
    return given.trim();
  },
};

/** A whole number of at least 1. */
export const retries: ValueKind<number> = {
  placeholder: '<N>',
  fromText(words, flag) {
    const given = last(words);
    if (!/^\d+$/.test(given) || Number(given) < 1) throw new UsageError(`invalid ${flag} '${given}': use a whole number of at least 1`);
    return Number(given);
  },
  fromValue(value) {
    if (typeof value === 'number' && Number.isInteger(value) && value >= 1) return value;
    throw expected('a whole number of at least 1', value);
  },
};

/** A shell command (sh -c). */
export const shellCommand: ValueKind<string> = {
  placeholder: '<command>',
  fromText(words, flag) {
    const given = last(words);
    if (given.trim() === '') throw new UsageError(`invalid ${flag}: give a shell command, e.g. ${flag} 'echo "$BGRUN_NAME $BGRUN_EVENT" >>crashes.txt'`);
    return given;
  },
  fromValue: (value) => requireString(value),
};
