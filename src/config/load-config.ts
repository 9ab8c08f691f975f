/**
 * Finds and loads the config of the current folder: `--config <file>`, else the
 * first of CONFIG_FILES here, else a Procfile here (`--procfile <file>` names one).
 */
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { ConfigError, UsageError, describeSystemError } from '../errors.js';
import { readProcfile } from './procfile.js';
import { type ConfigApp, validateConfig } from './validate-config.js';

/** Looked for in this order in the current folder; pm2's ecosystem files last. */
export const CONFIG_FILES = [
  'bgrun.config.json',
  'bgrun.config.js',
  'bgrun.config.mjs',
  'bgrun.config.cjs',
  'ecosystem.config.js',
  'ecosystem.config.cjs',
];
export const PROCFILE = 'Procfile';

export interface LoadedConfig {
  /** Absolute path of the file. */
  file: string;
  /** How messages name it: as given, or its base name when found here. */
  label: string;
  kind: 'config' | 'procfile';
  apps: ConfigApp[];
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
  if (ext === '.json') {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      throw new ConfigError(`cannot read ${label}: ${describeSystemError(error)}`, 'CONFIG_NOT_FOUND', error);
    }
    try {
      return JSON.parse(text);
    } catch (error) {
      throw new ConfigError(`${label}: not valid JSON: ${jsonErrorWhere((error as Error).message, text)}`, 'CONFIG_INVALID', error);
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
    `${label}: unknown kind of config file; use .json, .js, .mjs or .cjs (or --procfile for a Procfile)`,
    'CONFIG_INVALID',
  );
}

/** Loads and checks one config file or Procfile. */
export async function loadConfigFile(found: { file: string; label: string; kind: 'config' | 'procfile' }): Promise<LoadedConfig> {
  if (found.kind === 'procfile') return { ...found, apps: readProcfile(found.file) };
  const value = await readConfigValue(found.file, found.label);
  return { ...found, apps: validateConfig(value, found.label, path.dirname(found.file)) };
}

/** The config that applies here, loaded; null when there is none. */
export async function loadConfig(options: FindOptions = {}): Promise<LoadedConfig | null> {
  const found = findConfig(options);
  return found ? loadConfigFile(found) : null;
}
