import fs from 'node:fs';
import { BgrunError, UsageError, describeSystemError } from '../../errors.js';
import { pm2EnvFileHint } from '../../pm2-flags.js';

/** A key as the dotenv package takes it: letters, digits, '_', '.', '-'. */
const KEY = /[\w.-]+/y;
const SEPARATOR = /[ \t]*=|:[ \t]/y;
const EXPORT = /export[ \t]+(?=[\w.-])/y;
const BLANK = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * Parses a `.env` file by the rules of the `dotenv` package, which is what such files
 * are written for: `KEY=VALUE` (or `KEY: VALUE`), optional `export`, `#` comments on
 * their own line or after a value (an unquoted value ends at the first `#`), values in
 * single, double or back quotes that may span lines (a PEM key), surrounding blanks
 * trimmed, the last of a repeated key wins. Escapes only in double quotes.
 *
 * Where dotenv gives something users never mean, bgrun differs, and says so in
 * docs/config.md: in double quotes `\\` and `\"` are escapes too (dotenv keeps the
 * backslash, and turns the `\n` of `"C:\\new"` into a newline); a quote that is never
 * closed is an error (dotenv reads on into the next lines); a line that is not an
 * assignment is an error (dotenv skips it). Errors name the file, the line and the
 * key, never a value: env files hold secrets.
 */
/** Why a variable cannot have this name, or null when it can (an assignment to `__proto__` would change a prototype and be lost). */
export function unsafeVariableName(name: string): string | null {
  return name === '__proto__' ? `'${name}' cannot be the name of a variable here; rename it` : null;
}

/** Why a variable's value cannot be passed (a NUL byte: no environment can hold one), or null. Never shows the value. */
export function unusableValue(name: string, value: string): string | null {
  return value.includes('\0') ? `the value of ${name} holds a NUL byte, which no environment can carry (the value is not shown: it may be a secret)` : null;
}

export function parseEnvFile(text: string, file: string): Record<string, string> {
  const src = text.includes('\r') ? text.replace(/\r\n?/g, '\n') : text;
  const env: Record<string, string> = {};
  let at = 0;
  let line = 1;
  const fail = (lineNo: number, why: string): never => {
    throw new BgrunError('ENV_FILE', `${file}:${lineNo}: ${why}`);
  };
  const endOfLine = (from: number) => {
    const nl = src.indexOf('\n', from);
    return nl === -1 ? src.length : nl;
  };
  while (at < src.length) {
    const c = src[at];
    if (c === '\n') {
      line++;
      at++;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\f' || c === '\v') {
      at++;
      continue;
    }
    if (c === '#') {
      at = endOfLine(at);
      continue;
    }
    const keyLine = line;
    EXPORT.lastIndex = at;
    if (EXPORT.test(src)) at = EXPORT.lastIndex;
    KEY.lastIndex = at;
    const key = KEY.exec(src)?.[0];
    SEPARATOR.lastIndex = at + (key?.length ?? 0);
    if (!key || !SEPARATOR.test(src)) {
      fail(keyLine, "expected KEY=VALUE (a name of letters, digits, '_', '.' or '-', then '='); the line is not shown, it may hold a secret");
    }
    const name = key as string;
    const unsafe = unsafeVariableName(name);
    if (unsafe) fail(keyLine, unsafe);
    at = SEPARATOR.lastIndex;
    while (BLANK(src[at])) at++;
    const eol = endOfLine(at);
    let value: string | null = null;
    const quote = src[at];
    if (quote === '"' || quote === "'" || quote === '`') {
      // The closing quote is the first one not escaped by a backslash; it may be on a later line.
      // In double quotes a backslash escapes any character (so `"C:\\"` ends after `\\`).
      let close = at + 1;
      for (; close < src.length; close++) {
        if (src[close] === '\\' && (quote === '"' || src[close + 1] === quote)) close++;
        else if (src[close] === quote) break;
      }
      if (close >= src.length) fail(keyLine, `the value of ${name} opens a ${quote} that is never closed`);
      let after = close + 1;
      while (BLANK(src[after])) after++;
      const next = after < src.length ? src[after] : '\n';
      if (next === '\n' || next === '#') {
        const raw = src.slice(at + 1, close);
        value = quote === '"' ? unescapeDouble(raw) : raw;
        for (let i = at; i < close; i++) if (src[i] === '\n') line++;
        at = endOfLine(after);
      }
      // Text after the closing quote: dotenv then reads the line as an unquoted value.
    }
    if (value === null) {
      const hash = src.indexOf('#', at);
      const end = hash !== -1 && hash < eol ? hash : eol;
      value = src.slice(at, end).trim();
      const first = value[0];
      if (value.length >= 2 && (first === '"' || first === "'" || first === '`') && value.endsWith(first)) value = value.slice(1, -1);
      at = eol;
    }
    const unusable = unusableValue(name, value);
    if (unusable) fail(keyLine, unusable);
    env[name] = value;
  }
  return env;
}

/** Double-quoted escapes: `\n`, `\r`, `\\` and `\"`; any other backslash is kept as written. */
function unescapeDouble(raw: string): string {
  if (!raw.includes('\\')) return raw;
  return raw.replace(/\\([nr"\\])/g, (_, c: string) => (c === 'n' ? '\n' : c === 'r' ? '\r' : c));
}

export function readEnvFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new BgrunError('ENV_FILE', `cannot read env file ${file}: ${describeSystemError(error)}`, { cause: error });
  }
  return parseEnvFile(text, file);
}

/** Parses one --env KEY=VALUE. A refusal names the key at most, never the value (it may be a secret). */
export function parseEnvAssignment(text: string): [string, string] {
  const eq = text.indexOf('=');
  const logFile = pm2EnvFileHint(text);
  if (logFile) throw new UsageError(`invalid --env: expected KEY=VALUE, and ${logFile}`);
  if (eq < 0 && /^[A-Za-z0-9_-]+$/.test(text)) {
    throw new UsageError(`--env ${text} names an env profile (pm2's env_${text}), which only a config file has; for a variable use --env KEY=VALUE`);
  }
  if (eq < 0) throw new UsageError("invalid --env: expected KEY=VALUE, and the argument has no '=' (it is not shown: it may be a secret)");
  const key = text.slice(0, eq);
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(key)) {
    const shown = /^[\w.-]{1,64}$/.test(key) ? `'${key}' is not a valid name` : 'its name is not valid';
    throw new UsageError(`invalid --env: ${shown}; use KEY=VALUE with a key of letters, digits and '_', not starting with a digit`);
  }
  const unsafe = unsafeVariableName(key);
  if (unsafe) throw new UsageError(`invalid --env: ${unsafe}`);
  const value = text.slice(eq + 1);
  const unusable = unusableValue(key, value);
  if (unusable) throw new UsageError(`invalid --env: ${unusable}`);
  return [key, value];
}

/** The environment a program gets: inherited, then env files (read now), then --env. */
export function composeEnv(spec: {
  env: Record<string, string>;
  envFiles: string[];
  envVars: Record<string, string>;
}): Record<string, string> {
  const env = { ...spec.env };
  for (const file of spec.envFiles) Object.assign(env, readEnvFile(file));
  return Object.assign(env, spec.envVars);
}
