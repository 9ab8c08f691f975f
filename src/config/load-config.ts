/**
 * Finds and loads the config of the current folder: `--config <file>`, else the
 * first of CONFIG_FILES here, else a Procfile here (`--procfile <file>` names one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, UsageError, describeSystemError } from '../errors.js';
import { parseJsonWithComments } from './json-comments.js';
import { fromPm2File } from './pm2.js';
import { readProcfile } from './procfile.js';
import { refuseUnsafeKeys } from './unsafe-keys.js';
import { APP_KEYS, type ConfigApp, knownAppKey, validateConfig } from './validate-config.js';

/** Looked for in this order in the current folder; pm2's ecosystem files last (pm2 looks for these). */
export const CONFIG_FILES = [
  'bgrun.config.json',
  'bgrun.config.js',
  'bgrun.config.mjs',
  'bgrun.config.cjs',
  'ecosystem.config.js',
  'ecosystem.config.cjs',
  'ecosystem.config.mjs',
  'ecosystem.json',
  'ecosystem.yml',
  'ecosystem.yaml',
];

/**
 * CONFIG_FILES as help and messages name them, grouped by stem in the same order:
 * "bgrun.config.json|.js|.mjs|.cjs, ecosystem.config.js|.cjs|.mjs, ecosystem.json|.yml|.yaml".
 * Derived, so a name added above is never missing from a list a user reads.
 */
export const CONFIG_FILES_TEXT = (() => {
  const groups = new Map<string, string[]>();
  for (const name of CONFIG_FILES) {
    const dot = name.lastIndexOf('.');
    const stem = name.slice(0, dot);
    groups.set(stem, [...(groups.get(stem) ?? []), name.slice(dot)]);
  }
  return [...groups].map(([stem, exts]) => `${stem}${exts.join('|')}`).join(', ');
})();

/**
 * Whether a program given to start (stop, restart, rm) is a config file whose
 * apps are meant, by pm2's rules (lib/Common.js isConfigFile): `*.config.js|cjs|mjs`,
 * any `.json`, `.yml` or `.yaml`; and a Procfile.
 */
export function isConfigFileName(file: string): boolean {
  const base = path.basename(file).toLowerCase();
  return /\.config\.(js|cjs|mjs)$/.test(base) || /\.(json|json5|ya?ml)$/.test(base) || /^procfile(\.|$)/.test(base);
}

/**
 * Whose rules a config file follows: bgrun's own files (`bgrun.config.*`, any
 * name starting with `bgrun.`) keep bgrun's defaults and strict checks; every
 * other config file is read as pm2 reads it (config/pm2.ts).
 */
export function configDialect(file: string): 'bgrun' | 'pm2' {
  return /^bgrun\./i.test(path.basename(file)) ? 'bgrun' : 'pm2';
}
export const PROCFILE = 'Procfile';

export interface LoadedConfig {
  /** Absolute path of the file. */
  file: string;
  /** How messages name it: as given, or its base name when found here. */
  label: string;
  kind: 'config' | 'procfile';
  apps: ConfigApp[];
  /** pm2 files: one line per key with no meaning here (printed once, by start). */
  warnings: string[];
}

export interface FindOptions {
  /** `--config <file>` */
  config?: string;
  /** `--procfile <file>` */
  procfile?: string;
  cwd?: string;
}

function isFile(file: string): boolean {
  try {
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** The config file that applies, without loading it; null when there is none. */
export function findConfig(options: FindOptions = {}): { file: string; label: string; kind: 'config' | 'procfile' } | null {
  const cwd = options.cwd ?? process.cwd();
  if (options.config !== undefined && options.procfile !== undefined) {
    throw new UsageError('give either --config or --procfile, not both');
  }
  for (const [given, kind] of [
    [options.config, 'config'],
    [options.procfile, 'procfile'],
  ] as const) {
    if (given === undefined) continue;
    const file = path.resolve(cwd, given);
    if (!isFile(file)) {
      let reason = 'no such file';
      try {
        if (fs.statSync(file).isDirectory()) reason = 'it is a folder';
      } catch {
        // no such file
      }
      throw new ConfigError(`cannot read ${kind === 'config' ? 'config file' : 'Procfile'} ${given}: ${reason}`, 'CONFIG_NOT_FOUND');
    }
    // A Procfile named with --config is read as one: stop and restart have no --procfile.
    return { file, label: given, kind: kind === 'config' && /^procfile/i.test(path.basename(file)) ? 'procfile' : kind };
  }
  for (const name of CONFIG_FILES) {
    const file = path.join(cwd, name);
    if (isFile(file)) return { file, label: name, kind: 'config' };
  }
  const procfile = path.join(cwd, PROCFILE);
  if (isFile(procfile)) return { file: procfile, label: PROCFILE, kind: 'procfile' };
  return null;
}

/** "… at position 37" becomes "… at line 3, column 5": what an editor shows. */
function jsonErrorWhere(message: string, text: string): string {
  const match = /at position (\d+)/.exec(message);
  if (!match) return message;
  const before = text.slice(0, Number(match[1]));
  const line = before.split('\n').length;
  const column = before.length - before.lastIndexOf('\n');
  return message.replace(/at position \d+.*$/, `at line ${line}, column ${column}`);
}

async function readConfigValue(file: string, label: string): Promise<unknown> {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.json' || ext === '.json5' || ext === '.yml' || ext === '.yaml') {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read ${label}: ${describeSystemError(error)}`, 'CONFIG_NOT_FOUND', error);
    }
    if (ext === '.yml' || ext === '.yaml') return readYaml(text, label);
    try {
      return JSON.parse(text);
    } catch (error) {
      // pm2 reads JSON as JavaScript: comments and trailing commas are allowed in its files (bgrun's own stay JSON).
      try {
        if (configDialect(file) === 'bgrun') throw error;
        return parseJsonWithComments(text);
      } catch {
        throw new ConfigError(`${label}: not valid JSON: ${jsonErrorWhere((error as Error).message, text)}`, 'CONFIG_INVALID', error);
      }
    }
  }
  if (ext === '.js' || ext === '.mjs' || ext === '.cjs') {
    let mod: Record<string, unknown>;
    try {
      mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      const hint = /module is not defined|exports is not defined/.test(message)
        ? ' (its package.json says "type": "module": rename it to .cjs, or use export default)'
        : '';
      throw new ConfigError(`${label}: cannot load it: ${message}${hint}`, 'CONFIG_INVALID', error);
    }
    // CommonJS (module.exports = {...}) arrives as default; ES modules use export default.
    const value = 'default' in mod && mod.default !== undefined ? mod.default : mod;
    return await value;
  }
  throw new ConfigError(
    `${label}: unknown kind of config file; use .json, .js, .mjs, .cjs, .yml or .yaml (or --procfile for a Procfile)`,
    'CONFIG_INVALID',
  );
}

/** pm2's YAML process files; the parser is loaded only when such a file is read. */
async function readYaml(text: string, label: string): Promise<unknown> {
  const { parse } = await import('yaml');
  try {
    return parse(text);
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    throw new ConfigError(`${label}: not valid YAML: ${message}`, 'CONFIG_INVALID', error);
  }
}

/** Loads and checks one config file or Procfile. */
export async function loadConfigFile(found: { file: string; label: string; kind: 'config' | 'procfile' }): Promise<LoadedConfig> {
  if (found.kind === 'procfile') return { ...found, apps: readProcfile(found.file), warnings: [] };
  const value = await readConfigValue(found.file, found.label);
  refuseUnsafeKeys(value, found.label);
  const baseDir = path.dirname(found.file);
  if (configDialect(found.file) === 'bgrun') return { ...found, apps: validateConfig(value, found.label, baseDir), warnings: [] };
  const pm2 = fromPm2File(value, found.label, knownAppKey, APP_KEYS);
  if (!pm2) return { ...found, apps: validateConfig(value, found.label, baseDir), warnings: [] };
  const apps = validateConfig(pm2.value, found.label, baseDir).map((app, i) => {
    const { displayName, defaults } = pm2.apps[i]!;
    return { ...app, ...(displayName !== undefined ? { displayName } : {}), ...(defaults.length > 0 ? { pm2Defaults: defaults } : {}) };
  });
  return { ...found, apps, warnings: pm2.warnings };
}

/** The config that applies here, loaded; null when there is none. */
export async function loadConfig(options: FindOptions = {}): Promise<LoadedConfig | null> {
  const found = findConfig(options);
  return found ? loadConfigFile(found) : null;
}
