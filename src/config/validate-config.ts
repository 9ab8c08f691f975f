/**
 * Checks a config file (or one app given to the library's `start()`) by hand,
 * so every message names the file, the path of the bad key and what was
 * expected: `bgrun.config.json: apps[1].restart: expected "no", "on-failure"
 * or "always", got "sometimes"`.
 *
 * `appToStartOptions` is the one mapping from a config entry to StartOptions;
 * the config path and the library both use it.
 */
import path from 'node:path';
import { BgrunError, ConfigError } from '../errors.js';
import { parseDuration } from '../core/duration.js';
import { parseMaxLogFiles, parseMaxLogSize } from '../core/logs/limits.js';
import { nameFromModule, nameFromProgram, validateName } from '../core/records/names.js';
import { isModuleName } from '../core/processes/python.js';
import { tryParseProbe } from '../core/ready/parse.js';
import type { RestartPolicy } from '../core/records/record.js';
import { parseSize } from '../core/size.js';
import type { StartOptions } from '../core/lifecycle/start.js';
import { checkCopyNames, fleetKeys } from './fleet-keys.js';
import { startOrder } from './order.js';
import { PM2_KEYS, PM2_UNSUPPORTED } from './pm2-keys.js';
import { splitArgs } from './split-args.js';
import { suggest } from './suggest.js';


/** One app of a config, ready to start: StartOptions plus what ordering needs. */
export interface ConfigApp extends StartOptions {
  name: string;
  dependsOn: string[];
  /** pm2's env_<profile> blocks by profile name, merged over env by `--env <profile>`. */
  envProfiles?: Record<string, Record<string, string>>;
}

/** An entry as `start()` takes it: the name may still be chosen by bgrun. */
export interface AppStartOptions extends StartOptions {
  dependsOn: string[];
  /** pm2's env_<profile> blocks by profile name, merged over env by `--env <profile>`. */
  envProfiles?: Record<string, Record<string, string>>;
}

interface Where {
  /** The file ("bgrun.config.json") or the function ("start()") the value came from. */
  source: string;
  /** The path of the entry inside it ("apps[1]"), or "" for the library. */
  at: string;
  /** Relative cwd and env files start here (the config file's folder). */
  baseDir: string;
}

/** The keys of an app, bgrun's own first; suggestions for typos come from these. */
const BGRUN_KEYS = [
  'name',
  'script',
  'args',
  'cwd',
  'env',
  'envFile',
  'interpreter',
  'interpreterArgs',
  'module',
  'restart',
  'maxRestarts',
  'minUptime',
  'maxMemory',
  'maxLogSize',
  'maxLogFiles',
  'wait',
  'ready',
  'readyTimeout',
  'dependsOn',
  'instances',
  'incrementVar',
  'instanceVar',
  'mergeLogs',
  'namespace',
  'execMode',
] as const;

/** The app keys the checks below read (bgrun's, pm2's with a meaning here or refused with a reason): config/pm2.ts passes these on. */
export function knownAppKey(key: string): boolean {
  return (
    (BGRUN_KEYS as readonly string[]).includes(key) ||
    (PM2_KEYS as readonly string[]).includes(key) ||
    PM2_UNSUPPORTED[key] !== undefined ||
    (/^env_[A-Za-z0-9_-]+$/.test(key) && key !== 'env_file')
  );
}

export const APP_KEYS: readonly string[] = BGRUN_KEYS;

/** Top-level keys other than apps: pm2's deploy section is about pm2 deploy, not about running. */
const TOP_LEVEL_IGNORED = new Set(['deploy']);

function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'function') return 'a function';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value);
  return String(value);
}

function keyPath(where: Where, key: string): string {
  return where.at ? `${where.at}.${key}` : key;
}

function invalid(where: Where, key: string, message: string): ConfigError {
  return new ConfigError(`${where.source}: ${keyPath(where, key)}: ${message}`);
}

function expected(where: Where, key: string, what: string, value: unknown): ConfigError {
  return invalid(where, key, `expected ${what}, got ${describe(value)}`);
}

function unknownKey(where: Where, key: string, candidates: readonly string[]): ConfigError {
  const reason = PM2_UNSUPPORTED[key];
  if (reason) return invalid(where, key, `pm2's ${key} is not supported: ${reason}`);
  const near = suggest(key, candidates);
  return invalid(where, key, `unknown key${near ? ` (did you mean "${near}"?)` : ''}`);
}

function throwIt(error: ConfigError): never {
  throw error;
}

function requireString(where: Where, key: string, value: unknown): string {
  if (typeof value !== 'string' || value.trim() === '') throwIt(expected(where, key, 'a non-empty string', value));
  return value;
}

function args(where: Where, value: unknown, key = 'args'): string[] {
  if (typeof value === 'string') return splitArgs(value);
  if (Array.isArray(value)) {
    return value.map((item, i) => {
      if (typeof item === 'string') return item;
      if (typeof item === 'number' && Number.isFinite(item)) return String(item);
      return throwIt(expected(where, `${key}[${i}]`, 'a string', item));
    });
  }
  return throwIt(expected(where, key, 'an array of strings or one string', value));
}

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;

function envObject(where: Where, key: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throwIt(expected(where, key, 'an object of variables such as { "PORT": "3000" }', value));
  }
  const env: Record<string, string> = {};
  for (const [name, v] of Object.entries(value as Record<string, unknown>)) {
    if (!ENV_KEY.test(name)) throwIt(invalid(where, `${key}.${name}`, "expected a variable name of letters, digits and '_'"));
    if (typeof v === 'string') env[name] = v;
    else if ((typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean') env[name] = String(v);
    else throwIt(expected(where, `${key}.${name}`, 'a string, number or boolean', v));
  }
  return env;
}

function envFiles(where: Where, value: unknown): string[] {
  const list = typeof value === 'string' ? [value] : value;
  if (!Array.isArray(list)) return throwIt(expected(where, 'envFile', 'a file name or a list of file names', value));
  return list.map((item, i) => {
    if (typeof item !== 'string' || item === '') throwIt(expected(where, `envFile[${i}]`, 'a file name', item));
    return path.resolve(where.baseDir, item);
  });
}

function duration(where: Where, key: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value >= 0) return Math.round(value);
  if (typeof value === 'string') {
    try {
      return parseDuration(value);
    } catch {
      // reported below
    }
  }
  return throwIt(expected(where, key, 'a duration such as 500, "500ms", "10s" or "2m"', value));
}

function size(where: Where, key: string, value: unknown): number {
  if (typeof value === 'number' && Number.isFinite(value) && value > 0) return Math.round(value);
  if (typeof value === 'string') {
    try {
      return parseSize(value);
    } catch {
      // reported below
    }
  }
  return throwIt(expected(where, key, 'a size such as "300M", "1G" or a number of bytes', value));
}

function wholeNumber(where: Where, key: string, value: unknown): number {
  if (typeof value === 'number' && Number.isInteger(value) && value >= 0) return value;
  return throwIt(expected(where, key, 'a whole number', value));
}

const POLICIES: RestartPolicy[] = ['no', 'on-failure', 'always'];

function name(where: Where, key: string, value: unknown): string {
  const text = requireString(where, key, value);
  try {
    return validateName(text);
  } catch (error) {
    throw invalid(where, key, error instanceof BgrunError ? error.message : String(error));
  }
}

/** A check shared with the command line; its message loses the option name and gains the key path. */
function cliRule<T>(where: Where, key: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    const message = error instanceof BgrunError ? error.message.replace(/^invalid --[a-z-]+ ('[^']*'): /, 'invalid value $1: ') : String(error);
    throw invalid(where, key, message);
  }
}

/** One of the two spellings of the same setting (bgrun's, pm2's); both at once is a mistake. */
function oneOf(where: Where, obj: Record<string, unknown>, keys: [string, string]): [string, unknown] | null {
  const [a, b] = keys;
  if (obj[a] !== undefined && obj[b] !== undefined) throwIt(invalid(where, b, `give either ${a} or ${b}, not both`));
  if (obj[a] !== undefined) return [a, obj[a]];
  if (obj[b] !== undefined) return [b, obj[b]];
  return null;
}

/**
 * The single mapping from a config entry (or the library's `start()` argument)
 * to StartOptions: every check, default and conversion happens here.
 */
export function appToStartOptions(value: unknown, where: Where): AppStartOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${where.source}: ${where.at || 'the app'}: expected an object with at least "script", got ${describe(value)}`);
  }
  const obj = value as Record<string, unknown>;
  const known: readonly string[] = [...BGRUN_KEYS, ...PM2_KEYS];
  const envProfiles: Record<string, Record<string, string>> = {};
  for (const key of Object.keys(obj)) {
    if (known.includes(key)) continue;
    if (/^env_[A-Za-z0-9_-]+$/.test(key) && key !== 'env_file') {
      // pm2 environments apply only with `--env <name>` (config/env-profile.ts); without it, env alone, as pm2 does.
      envProfiles[key.slice(4)] = envObject(where, key, obj[key]);
      continue;
    }
    throw unknownKey(where, key, BGRUN_KEYS);
  }
  if (obj.script !== undefined && obj.module !== undefined) throw invalid(where, 'module', 'give either script or module, not both');
  if (obj.script === undefined && obj.module === undefined) throw invalid(where, 'script', 'missing: the script or command to run (or module: a Python module)');
  const module = obj.module === undefined ? undefined : requireString(where, 'module', obj.module);
  if (module !== undefined && !isModuleName(module)) throw expected(where, 'module', 'a dotted Python module name such as "package.module"', module);
  const script = module ?? requireString(where, 'script', obj.script);
  const options: AppStartOptions = { script, args: [], dependsOn: [], env: {}, envFiles: [], interpreter: null };
  if (module !== undefined) options.module = module;
  if (obj.name !== undefined) options.name = name(where, 'name', obj.name);
  if (obj.args !== undefined) options.args = args(where, obj.args);
  options.cwd = obj.cwd === undefined ? where.baseDir : path.resolve(where.baseDir, requireString(where, 'cwd', obj.cwd));
  if (obj.env !== undefined) options.env = envObject(where, 'env', obj.env);
  if (obj.envFile !== undefined) options.envFiles = envFiles(where, obj.envFile);
  if (obj.interpreterArgs !== undefined) options.interpreterArgs = args(where, obj.interpreterArgs, 'interpreterArgs');
  if (obj.interpreter !== undefined && obj.interpreter !== null) {
    const interpreter = requireString(where, 'interpreter', obj.interpreter);
    // pm2: "none" runs the script itself (a binary or a file with a shebang).
    options.interpreter = interpreter === 'none' ? null : interpreter;
  }

  const restart = oneOf(where, obj, ['restart', 'autorestart']);
  if (restart?.[0] === 'restart') {
    if (!POLICIES.includes(restart[1] as RestartPolicy)) {
      throwIt(expected(where, 'restart', '"no", "on-failure" or "always"', restart[1]));
    }
    options.restart = restart[1] as RestartPolicy;
  } else if (restart) {
    if (typeof restart[1] !== 'boolean') throwIt(expected(where, 'autorestart', 'true or false', restart[1]));
    options.restart = restart[1] ? 'always' : 'no';
  }
  const maxRestarts = oneOf(where, obj, ['maxRestarts', 'max_restarts']);
  if (maxRestarts) options.maxRestarts = wholeNumber(where, maxRestarts[0], maxRestarts[1]);
  const minUptime = oneOf(where, obj, ['minUptime', 'min_uptime']);
  if (minUptime) options.minUptimeMs = duration(where, minUptime[0], minUptime[1]);
  const maxMemory = oneOf(where, obj, ['maxMemory', 'max_memory_restart']);
  if (maxMemory) options.maxMemoryBytes = size(where, maxMemory[0], maxMemory[1]);
  const supervisedOnly = [maxRestarts, minUptime, maxMemory].find((entry) => entry !== null);
  if (supervisedOnly && (options.restart ?? 'no') === 'no') {
    throwIt(invalid(where, supervisedOnly[0], 'needs a supervised program: add restart: "on-failure" or restart: "always"'));
  }

  if (obj.maxLogSize !== undefined) {
    // Same rules as --max-log-size: a size of at least 1K, or 0 for no rotation.
    const text = typeof obj.maxLogSize === 'number' ? String(obj.maxLogSize) : obj.maxLogSize;
    if (typeof text !== 'string') throwIt(expected(where, 'maxLogSize', 'a size such as "10M", or 0 for no rotation', obj.maxLogSize));
    options.maxLogBytes = cliRule(where, 'maxLogSize', () => parseMaxLogSize(text));
  }
  if (obj.maxLogFiles !== undefined) {
    if (typeof obj.maxLogFiles !== 'number') throwIt(expected(where, 'maxLogFiles', 'a whole number', obj.maxLogFiles));
    options.maxLogFiles = cliRule(where, 'maxLogFiles', () => parseMaxLogFiles(String(obj.maxLogFiles)));
    if ((options.restart ?? 'no') === 'no' && !options.maxLogBytes) {
      throwIt(invalid(where, 'maxLogFiles', 'needs maxLogSize for a plain program (supervised programs rotate at 10M by default)'));
    }
  }
  if (obj.wait !== undefined) options.waitMs = duration(where, 'wait', obj.wait);
  if (obj.ready !== undefined) {
    const text = requireString(where, 'ready', obj.ready);
    const probe = tryParseProbe(text);
    if (typeof probe === 'string') throwIt(invalid(where, 'ready', probe));
    options.ready = text.trim();
  }
  if (obj.readyTimeout !== undefined) {
    if (obj.ready === undefined) throwIt(invalid(where, 'readyTimeout', 'needs ready: the probe to wait for'));
    options.readyTimeoutMs = duration(where, 'readyTimeout', obj.readyTimeout);
  }
  if (obj.dependsOn !== undefined) {
    const list = typeof obj.dependsOn === 'string' ? [obj.dependsOn] : obj.dependsOn;
    if (!Array.isArray(list)) throwIt(expected(where, 'dependsOn', 'a list of app names', obj.dependsOn));
    options.dependsOn = list.map((item, i) => name(where, `dependsOn[${i}]`, item));
  }

  // pm2 keys that are harmless as long as they say what bgrun does anyway.
  Object.assign(options, fleetKeys(obj, (key, message) => invalid(where, key, message)));
  if (Object.keys(envProfiles).length > 0) options.envProfiles = envProfiles;
  if (obj.watch !== undefined && obj.watch !== false) {
    throwIt(expected(where, 'watch', 'false: bgrun does not watch files', obj.watch));
  }
  return options;
}

/**
 * A whole config: `{ apps: [...] }`. Names default to the script's base name
 * (as `bgrun start` does), must be unique, and every dependsOn must name an app.
 */
export function validateConfig(value: unknown, source: string, baseDir: string): ConfigApp[] {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new ConfigError(`${source}: expected an object such as { "apps": [ { "name": "web", "script": "server.js" } ] }, got ${describe(value)}`);
  }
  const top = value as Record<string, unknown>;
  for (const key of Object.keys(top)) {
    if (key !== 'apps' && !TOP_LEVEL_IGNORED.has(key)) {
      const near = suggest(key, ['apps']);
      throw new ConfigError(`${source}: ${key}: unknown key${near ? ` (did you mean "${near}"?)` : ' (a config holds "apps")'}`);
    }
  }
  if (!Array.isArray(top.apps)) throw new ConfigError(`${source}: apps: expected a list of apps, got ${describe(top.apps)}`);
  if (top.apps.length === 0) throw new ConfigError(`${source}: apps: expected at least one app, got an empty list`);
  const apps: ConfigApp[] = [];
  const index = new Map<string, number>();
  top.apps.forEach((entry, i) => {
    const where: Where = { source, at: `apps[${i}]`, baseDir };
    const options = appToStartOptions(entry, where);
    const appName = options.name ?? (options.module ? nameFromModule(options.module) : nameFromProgram(options.script));
    const first = index.get(appName);
    if (first !== undefined) {
      throw invalid(
        where,
        'name',
        `"${appName}" is already the name of apps[${first}]${options.name === undefined ? ' (taken from the script; give each a name)' : ''}`,
      );
    }
    index.set(appName, i);
    apps.push({ ...options, name: appName });
  });
  checkCopyNames(apps, (i, message) => invalid({ source, at: `apps[${i}]`, baseDir }, 'name', message));
  apps.forEach((app, i) => {
    app.dependsOn.forEach((dep, j) => {
      if (dep === app.name) throw invalid({ source, at: `apps[${i}]`, baseDir }, `dependsOn[${j}]`, `"${app.name}" cannot depend on itself`);
      if (!index.has(dep)) {
        const near = suggest(dep, [...index.keys()].filter((n) => n !== app.name));
        throw invalid({ source, at: `apps[${i}]`, baseDir }, `dependsOn[${j}]`, `no app named "${dep}" in this config${near ? ` (did you mean "${near}"?)` : ''}`);
      }
    });
  });
  startOrder(apps, undefined, source); // a cycle anywhere is an error, whichever app is started
  return apps;
}

/** The library's `start(app)`: the same checks, with relative paths from the current folder. */
export function libraryAppOptions(value: unknown, cwd = process.cwd()): AppStartOptions {
  return appToStartOptions(value, { source: 'start()', at: '', baseDir: cwd });
}
