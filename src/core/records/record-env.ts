import fs from 'node:fs';
import { StateError, describeSystemError } from '../../errors.js';
import { type StatePaths, envFile, recordFile } from '../paths.js';
import { readFileNoFollow, writeFileAtomic, writeFilesAtomic } from './registry.js';

/**
 * The environment `bgrun start` ran in, kept in `env/<name>.json` beside the
 * record rather than in it. It is most of a record's bytes (a desktop shell's
 * environment runs to several kilobytes) and only a spawn needs it, while
 * `list` reads every record: apart, a listing never parses it, and reading
 * records to debug them does not show its secrets. Written when it changes
 * (start, `restart --update-env`, resurrect), read at every spawn.
 */

export function writeRecordEnv(paths: StatePaths, name: string, env: Record<string, string>): void {
  try {
    writeFileAtomic(envFile(paths, name), `${JSON.stringify(env)}\n`);
  } catch (error) {
    throw new StateError(`cannot write the environment of '${name}': ${describeSystemError(error)}`, error);
  }
}

/** The same environment for several programs (copies of an app), in one batch (their syncs at once). */
export async function writeRecordEnvs(paths: StatePaths, names: string[], env: Record<string, string>): Promise<void> {
  const data = `${JSON.stringify(env)}\n`;
  const byFile = new Map(names.map((name) => [envFile(paths, name), name]));
  try {
    await writeFilesAtomic([...byFile.keys()].map((file) => ({ file, data })));
  } catch (error) {
    throw new StateError(`cannot write the environment of the copies: ${describeSystemError(error)}`, error);
  }
}

/** Records written before the environment moved out keep it inline; they are read as they are. */
function inlineEnv(paths: StatePaths, name: string): Record<string, string> | null {
  try {
    const env = (JSON.parse(readFileNoFollow(recordFile(paths, name))) as { env?: unknown }).env;
    return isEnv(env) ? env : null;
  } catch {
    return null;
  }
}

export function isEnv(value: unknown): value is Record<string, string> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === 'string');
}

export function readRecordEnv(paths: StatePaths, name: string): Record<string, string> {
  const file = envFile(paths, name);
  const fix = `run 'bgrun restart ${name} --update-env' to record the current environment`;
  let text: string;
  try {
    text = readFileNoFollow(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      const legacy = inlineEnv(paths, name);
      if (legacy) return legacy;
      throw new StateError(`the environment of '${name}' is missing (${file}); ${fix}`, error);
    }
    throw new StateError(`cannot read the environment of '${name}' (${file}): ${describeSystemError(error)}; ${fix}`, error);
  }
  let env: unknown;
  try {
    env = JSON.parse(text);
  } catch {
    env = null;
  }
  if (!isEnv(env)) throw new StateError(`the environment of '${name}' (${file}) is not a JSON object of strings; ${fix}`);
  return env;
}

export function deleteRecordEnv(paths: StatePaths, name: string): void {
  fs.rmSync(envFile(paths, name), { force: true });
}
