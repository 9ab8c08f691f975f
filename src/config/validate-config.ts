import path from 'node:path';
/**
 * Checks a config file (or one app given to the library's `start()`) by hand,
 * so every message names the file, the path of the bad key and what was
 * expected: `bgrun.config.json: apps[1].restart: expected "no", "on-failure"
 * or "always", got "sometimes"`.
 *
 * `appToStartOptions` is the one mapping from a config entry to StartOptions;
 * the config path and the library both use it. The values themselves are checked
 * by options/validate.ts, as the command line's are; this file knows the keys.
 */
import { ConfigError } from '../errors.js';
import { nameFromModule, nameFromProgram } from '../core/records/names.js';
import type { StartOptions } from '../core/lifecycle/start.js';
import { Problem, describe, env } from '../options/kinds.js';
import { START_OPTIONS } from '../options/start-options.js';
import { startOptionsFromObject } from '../options/validate.js';
import { checkCopyNames } from './fleet-keys.js';
import { startOrder } from './order.js';
import { refuseUnsafeKeys } from './unsafe-keys.js';
import { PM2_FIXED, PM2_UNSUPPORTED } from './pm2-keys.js';
import { suggest } from '../suggest.js';

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
const BGRUN_KEYS = START_OPTIONS.map((o) => o.key);

/** pm2 keys with a bgrun meaning: those of the option table, and those accepted with one value only. */
const PM2_KEYS = [...START_OPTIONS.flatMap((o) => (o.pm2 ? [o.pm2.key, ...(o.pm2.aliases ?? [])] : [])), ...Object.keys(PM2_FIXED)];

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
      try {
        envProfiles[key.slice(4)] = env.fromValue(obj[key], where);
      } catch (error) {
        throw error instanceof Problem ? invalid(where, `${key}${error.subKey}`, error.message) : error;
      }
      continue;
    }
    throw unknownKey(where, key, BGRUN_KEYS);
  }
  const options: AppStartOptions = {
    script: '',
    args: [],
    dependsOn: [],
    env: {},
    envFiles: [],
    interpreter: null,
    cwd: where.baseDir,
    ...startOptionsFromObject(obj, { baseDir: where.baseDir }, (key, message) => invalid(where, key, message)),
  };
  // With a module, the record calls the module its script (as `bgrun start -m` does).
  if (options.module) options.script = options.module;
  // Env files and log files are relative to the app's working folder, as its script is (one rule
  // for every path of a start; pm2 resolves out_file and error_file against the app's cwd too).
  const cwd = options.cwd ?? where.baseDir;
  if (options.envFiles) options.envFiles = options.envFiles.map((f) => path.resolve(cwd, f));
  for (const key of ['outLog', 'errLog', 'log'] as const) if (options[key] !== undefined) options[key] = path.resolve(cwd, options[key]);
  // pm2 keys that are harmless as long as they say what bgrun does anyway.
  if (Object.keys(envProfiles).length > 0) options.envProfiles = envProfiles;
  for (const [key, fixed] of Object.entries(PM2_FIXED)) {
    if (obj[key] !== undefined && !fixed.values.includes(obj[key] as never)) throwIt(expected(where, key, fixed.expected, obj[key]));
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
  refuseUnsafeKeys(value, 'start()');
  return appToStartOptions(value, { source: 'start()', at: '', baseDir: cwd });
}
